package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// EnsureTopics creates the topics that do not exist yet, with the given number of partitions
// and replication factor. Existing topics are left as they are.
func EnsureTopics(ctx context.Context, brokers []string, sec Security, topics []string, partitions, replication int) error {
	client, err := newClient(brokers, sec)
	if err != nil {
		return err
	}
	req := &kafkago.CreateTopicsRequest{}
	for _, name := range topics {
		req.Topics = append(req.Topics, kafkago.TopicConfig{Topic: name, NumPartitions: partitions, ReplicationFactor: replication})
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("create topics on %v: %w", brokers, err)
	}
	for name, terr := range resp.Errors {
		if terr != nil && !errors.Is(terr, kafkago.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", name, terr)
		}
	}
	return nil
}

// partitions returns the partition ids of each topic.
func partitions(ctx context.Context, client *kafkago.Client, topics []string) (map[string][]int, error) {
	meta, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, err
	}
	out := map[string][]int{}
	for _, tp := range meta.Topics {
		for _, p := range tp.Partitions {
			out[tp.Name] = append(out[tp.Name], p.ID)
		}
	}
	return out, nil
}

func newClient(brokers []string, sec Security) (*kafkago.Client, error) {
	t, err := sec.transport()
	if err != nil {
		return nil, err
	}
	return &kafkago.Client{Addr: kafkago.TCP(brokers...), Transport: t, Timeout: 15 * time.Second}, nil
}

// EndOffsets returns, per topic and partition, the offset after the last message. A partition
// whose leader is not known yet (a topic just created, a leader moving) is asked again until ctx
// ends.
func EndOffsets(ctx context.Context, brokers []string, sec Security, topics []string) (map[string]map[int]int64, error) {
	client, err := newClient(brokers, sec)
	if err != nil {
		return nil, err
	}
	parts, err := partitions(ctx, client, topics)
	if err != nil {
		return nil, err
	}
	req := &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{}}
	for topic, ids := range parts {
		for _, id := range ids {
			req.Topics[topic] = append(req.Topics[topic], kafkago.LastOffsetOf(id))
		}
	}
	for attempt := 0; ; attempt++ {
		out, err := endOffsets(ctx, client, req)
		var ke kafkago.Error
		if err == nil || !errors.As(err, &ke) || !ke.Temporary() {
			return out, err
		}
		if !sleepCtx(ctx, backoff(attempt)) {
			return nil, err
		}
	}
}

func endOffsets(ctx context.Context, client *kafkago.Client, req *kafkago.ListOffsetsRequest) (map[string]map[int]int64, error) {
	resp, err := client.ListOffsets(ctx, req)
	if err != nil {
		return nil, err
	}
	out := map[string]map[int]int64{}
	for topic, ps := range resp.Topics {
		out[topic] = map[int]int64{}
		for _, p := range ps {
			if p.Error != nil {
				return nil, fmt.Errorf("list offsets %s/%d: %w", topic, p.Partition, p.Error)
			}
			out[topic][p.Partition] = p.LastOffset
		}
	}
	return out, nil
}

// CommittedOffsets returns the group's committed offsets per topic and partition (-1: none).
func CommittedOffsets(ctx context.Context, brokers []string, sec Security, group string, topics []string) (map[string]map[int]int64, error) {
	client, err := newClient(brokers, sec)
	if err != nil {
		return nil, err
	}
	parts, err := partitions(ctx, client, topics)
	if err != nil {
		return nil, err
	}
	resp, err := client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: parts})
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	out := map[string]map[int]int64{}
	for topic, ps := range resp.Topics {
		out[topic] = map[int]int64{}
		for _, p := range ps {
			out[topic][p.Partition] = p.CommittedOffset
		}
	}
	return out, nil
}
