package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/schemas"
)

// DemoSample is the built-in sample of `econflow demo`.
const DemoSample = "kz_2022.jsonl"

// SampleLines returns the non-empty lines of a built-in sample (schemas/samples).
func SampleLines(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := schemas.Sample(name)
	if err != nil {
		t.Fatalf("sample %s: %v", name, err)
	}
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// LoadRecords stores lines, one message each, in the database of dsn the way production does:
// through Kafka (an embedded broker) and a consumer wired like `econflow consume`. Each line goes
// to the topic of its "kind" (a line without one to the fuel price topic). The fx_rate lines go
// first and are waited for, so that every observation is converted as it arrives; then the
// others. A line that is not a valid record becomes a row of econ.rejects. LoadRecords returns once
// every line is a row of a history view or of the rejects, with the consumer stopped; the lines
// must be distinct observations (no two with the same identity and published_at).
func LoadRecords(t testing.TB, dsn string, lines [][]byte) {
	t.Helper()
	brokers := EmbeddedBroker(t)
	topics := kafka.DefaultTopics()
	c := StartConsumer(t, ConsumerOptions{Brokers: brokers, DSN: dsn, Topics: topics, Group: NewGroup(t)})
	pub := NewPublisher(t, brokers, topics)
	var rates, others []Msg
	for i, l := range lines {
		var head struct {
			Kind string `json:"kind"`
		}
		_ = json.Unmarshal(l, &head) // an invalid line is a reject-to-be: any topic will do
		m := Msg{Kind: head.Kind, Key: fmt.Sprintf("line-%d", i), Value: l}
		switch head.Kind {
		case "fx_rate":
			rates = append(rates, m)
		case "wage":
			others = append(others, m)
		default:
			m.Kind = "fuel_price"
			others = append(others, m)
		}
	}
	if len(rates) > 0 {
		pub.Publish(rates...)
		waitStored(t, c.Store, len(rates))
	}
	if len(others) > 0 {
		pub.Publish(others...)
		waitStored(t, c.Store, len(lines))
	}
	c.Stop()
}

// waitStored waits until the history views and the rejects hold n rows in all.
func waitStored(t testing.TB, store *clickhouse.Store, n int) {
	t.Helper()
	db := store.Database()
	WaitFor(t, 2*time.Minute, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var got uint64
		err := store.Conn().QueryRow(ctx, "SELECT (SELECT count() FROM "+db+".fuel_prices_history) + (SELECT count() FROM "+db+
			".wages_history) + (SELECT count() FROM "+db+".fx_rates_history) + (SELECT count() FROM "+db+".indicators_history) + (SELECT count() FROM "+db+".rejects)").Scan(&got)
		if err != nil {
			return false, err.Error()
		}
		return got == uint64(n), fmt.Sprintf("%d of %d lines stored", got, n)
	})
}

// Database returns the database a DSN names.
func Database(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("dsn: %v", err)
	}
	return strings.Trim(u.Path, "/")
}
