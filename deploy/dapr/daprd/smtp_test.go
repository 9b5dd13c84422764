package components

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dapr/components-contrib/bindings"
	"github.com/dapr/components-contrib/bindings/smtp"
	"github.com/dapr/components-contrib/metadata"
	"github.com/dapr/kit/logger"
)

// Needs an SMTP server that keeps every message it accepts as a file:
// SMTP_ADDR, SMTP_USER, SMTP_PASSWORD and MAILBOX_DIR
// (deploy/scripts/test-daprd-components.sh starts deploy/scripts/mailbox.mjs).
func mailServer(t *testing.T) (host, port, user, password, dir string) {
	addr, dir := os.Getenv("SMTP_ADDR"), os.Getenv("MAILBOX_DIR")
	if addr == "" || dir == "" {
		t.Fatal("SMTP_ADDR and MAILBOX_DIR are not set: run deploy/scripts/test-daprd-components.sh, which starts a mail server")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("SMTP_ADDR %q: %v", addr, err)
	}
	return host, port, os.Getenv("SMTP_USER"), os.Getenv("SMTP_PASSWORD"), dir
}

// The binding is one component shared by every request of its daprd: emails
// sent at once (a customer's confirmation and an operations alert, say) must
// each go to their own recipient with their own subject, and a request that
// names no recipient must not inherit another's.
func TestConcurrentEmailsKeepTheirOwnRecipientsAndSubjects(t *testing.T) {
	host, port, user, password, dir := mailServer(t)
	log := logger.NewLogger("smtp-test")
	log.SetOutputLevel(logger.FatalLevel)
	binding := smtp.NewSMTP(log)
	err := binding.Init(context.Background(), bindings.Metadata{Base: metadata.Base{Properties: map[string]string{
		"host": host, "port": port, "user": user, "password": password,
		"emailFrom": "orders@logistics.example", "skipTLSVerify": "false",
	}}})
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	run := fmt.Sprintf("run%d", time.Now().UnixNano())
	const emails = 40
	var wg sync.WaitGroup
	errs := make(chan error, emails)
	for i := range emails {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := binding.Invoke(context.Background(), &bindings.InvokeRequest{
				Operation: bindings.CreateOperation,
				Data:      []byte(fmt.Sprintf("body %d", i)),
				Metadata:  map[string]string{"emailTo": fmt.Sprintf("%s-%d@example.com", run, i), "subject": fmt.Sprintf("%s subject %d", run, i)},
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
	}

	// Every message of this run, by recipient: its subject.
	got := map[string]string{}
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < emails && time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, file := range files {
			f, err := os.Open(file)
			if err != nil {
				continue
			}
			message, err := mail.ReadMessage(f)
			f.Close()
			if err != nil || !strings.HasPrefix(message.Header.Get("Subject"), run) {
				continue
			}
			got[message.Header.Get("To")] = message.Header.Get("Subject")
		}
		time.Sleep(100 * time.Millisecond)
	}
	wrong := 0
	for i := range emails {
		to, subject := fmt.Sprintf("%s-%d@example.com", run, i), fmt.Sprintf("%s subject %d", run, i)
		if got[to] != subject {
			wrong++
			t.Errorf("%s got %q, want %q", to, got[to], subject)
		}
	}
	if len(got) != emails {
		t.Errorf("%d distinct recipients got mail, want %d (%d wrong)", len(got), emails, wrong)
	}

	// A request with no recipient of its own: the component has none either.
	_, err = binding.Invoke(context.Background(), &bindings.InvokeRequest{
		Operation: bindings.CreateOperation, Data: []byte("nobody"), Metadata: map[string]string{"subject": run + " to nobody"},
	})
	if err == nil || !strings.Contains(err.Error(), "emailTo") {
		t.Errorf("a request without emailTo: got %v, want the binding's emailTo error", err)
	}
}
