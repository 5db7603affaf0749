package ingest_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/econflow/econflow/internal/testenv"
)

// buildEconflow builds the econflow binary into a temporary directory.
func buildEconflow(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "econflow")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/econflow").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func consumeCommand(bin string, e *env) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(bin, "consume", "--batch-size", "250", "--batch-linger", "20ms")
	cmd.Env = append(os.Environ(), "ECONFLOW_BROKERS="+e.brokers, "ECONFLOW_CLICKHOUSE="+e.dsn, "ECONFLOW_GROUP="+e.group)
	cmd.Env = append(cmd.Env, testenv.TopicEnv(e.topics)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

func waitExit(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer, within time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		_ = cmd.Process.Kill()
		t.Fatalf("econflow consume did not exit within %v after the signal\n%s", within, out)
		return nil
	}
}

// `econflow consume` on SIGTERM writes and commits the batch in hand, leaves the group and exits
// 0; everything committed is stored. A second signal exits at once, non-zero, and what it had
// not stored is delivered again to the next consumer: at the end every record is there once.
func TestIntegrationEmbeddedConsumeSignals(t *testing.T) {
	e := newEnv(t, testenv.EmbeddedBroker(t), false)
	bin := buildEconflow(t)
	msgs, sumAll, _ := restartData(t)
	e.publish(msgs...)

	cmd, out := consumeCommand(bin, e)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		n := mustCount(t, e.store, "fuel_prices_history", "")
		return n > 0, fmt.Sprintf("%d rows stored", n)
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := waitExit(t, cmd, out, 60*time.Second); err != nil {
		t.Fatalf("SIGTERM: exit %v, want 0\n%s", err, out)
	}
	stored := mustCount(t, e.store, "fuel_prices_history", "")
	if committed := committedTotal(t, e); committed > int64(stored) {
		t.Fatalf("after SIGTERM %d offsets committed but %d rows stored", committed, stored)
	}

	// Second run: SIGTERM then SIGINT at once.
	cmd, out = consumeCommand(bin, e)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Process.Signal(syscall.SIGINT)
	_ = waitExit(t, cmd, out, 60*time.Second) // exit status 0 (nothing in hand) or 1 (aborted): both fine

	c := e.startConsumer(t, nil)
	waitCount(t, e.store, restartRecords, "fuel_prices_history", "")
	c.Stop()
	var got string
	if err := e.store.Conn().QueryRow(t.Context(), "SELECT toString(sum(price)) FROM "+e.db()+".fuel_prices_history").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != sumAll {
		t.Errorf("sum(price) = %s, want %s", got, sumAll)
	}
	if n := mustCount(t, e.store, "fuel_prices_history", ""); n != restartRecords {
		t.Errorf("history has %d rows, want %d", n, restartRecords)
	}
}
