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
	t, err := sec.transport()
	if err != nil {
		return err
	}
	client := &kafkago.Client{Addr: kafkago.TCP(brokers...), Transport: t, Timeout: 15 * time.Second}
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

// EndOffsets returns, per topic and partition, the offset after the last message.
func EndOffsets(ctx context.Context, brokers []string, sec Security, topics []string) (map[string]map[int]int64, error) {
	t, err := sec.transport()
	if err != nil {
		return nil, err
	}
	client := &kafkago.Client{Addr: kafkago.TCP(brokers...), Transport: t, Timeout: 15 * time.Second}
	meta, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, err
	}
	req := &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{}}
	for _, tp := range meta.Topics {
		for _, p := range tp.Partitions {
			req.Topics[tp.Name] = append(req.Topics[tp.Name], kafkago.LastOffsetOf(p.ID))
		}
	}
	resp, err := client.ListOffsets(ctx, req)
	if err != nil {
		return nil, err
	}
	out := map[string]map[int]int64{}
	for topic, parts := range resp.Topics {
		out[topic] = map[int]int64{}
		for _, p := range parts {
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
	t, err := sec.transport()
	if err != nil {
		return nil, err
	}
	client := &kafkago.Client{Addr: kafkago.TCP(brokers...), Transport: t, Timeout: 15 * time.Second}
	end, err := EndOffsets(ctx, brokers, sec, topics)
	if err != nil {
		return nil, err
	}
	req := &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{}}
	for topic, parts := range end {
		for p := range parts {
			req.Topics[topic] = append(req.Topics[topic], p)
		}
	}
	resp, err := client.OffsetFetch(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	out := map[string]map[int]int64{}
	for topic, parts := range resp.Topics {
		out[topic] = map[int]int64{}
		for _, p := range parts {
			out[topic][p.Partition] = p.CommittedOffset
		}
	}
	return out, nil
}
