package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// IsPermanent reports whether err from Send is a permanent failure that no
// retry can fix for this message:
//
//   - the recipient address is invalid (ErrInvalidAddress);
//   - the server answered 5xx to RCPT TO, to DATA or after the message
//     content (the recipient does not exist, the message was refused).
//
// Everything else is temporary: connection refused or reset, timeouts,
// cancellation, 4xx replies, TLS and AUTH failures, a 5xx to MAIL FROM, an
// incomplete configuration and credentials refused over a plain connection
// (ErrInsecureAuth). Those concern the server or its settings,
// not this message, and go away once the server is back or an admin fixes
// the SMTP settings.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInvalidAddress) {
		return true
	}
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		code := se.ErrorCode()
		return code >= 500 && code <= 599
	}
	return false
}

// dialError is a failed TCP connect, worded "dial smtp HOST:PORT: REASON",
// or a failed implicit TLS handshake, worded "tls handshake with smtp
// HOST:PORT: REASON". It unwraps to the underlying error.
type dialError struct {
	tls  bool
	addr string
	err  error
}

func (e *dialError) Error() string {
	reason := e.err
	var op *net.OpError
	if errors.As(reason, &op) && op.Err != nil {
		reason = op.Err
	}
	var sc *os.SyscallError
	if errors.As(reason, &sc) && sc.Err != nil {
		reason = sc.Err
	}
	if e.tls {
		return fmt.Sprintf("tls handshake with smtp %s: %v", e.addr, reason)
	}
	return fmt.Sprintf("dial smtp %s: %v", e.addr, reason)
}

func (e *dialError) Unwrap() error { return e.err }

// connectError words a failure while connecting, before any message was
// sent: the dial itself, or the greeting, EHLO, STARTTLS or AUTH.
func connectError(addr string, err error) error {
	var de *dialError
	if !errors.As(err, &de) {
		err = fmt.Errorf("smtp %s: %w", addr, err)
	}
	return &unreachableError{err}
}

// unreachableError marks a failure to reach the SMTP server (see
// IsUnreachable); its text is the cause's.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// IsUnreachable reports whether err from Send or Probe happened while
// connecting, before any message was handed over: the connection was
// refused or timed out, or the greeting, EHLO, STARTTLS or AUTH failed.
// Such a failure concerns the server, not the message: every message fails
// the same way until the server answers again, which Probe can tell.
func IsUnreachable(err error) bool {
	var ue *unreachableError
	return errors.As(err, &ue)
}

// withCause adds why the context ended (timeout or cancellation) to an
// error it caused, e.g. "…: use of closed network connection (timed out
// after 15s)". A network timeout from the per-operation deadline counts as
// running out of timeout too.
func withCause(ctx context.Context, timeout time.Duration, err error) error {
	var cause error
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		cause = context.Cause(ctx)
	case errors.As(err, &ne) && ne.Timeout():
		cause = timeoutError{timeout}
	default:
		return err
	}
	if errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, cause)
}

// timeoutError is the cause of a Send that ran out of Config.Timeout. It
// matches context.DeadlineExceeded and is a net.Error timeout.
type timeoutError struct{ d time.Duration }

func (e timeoutError) Error() string        { return fmt.Sprintf("timed out after %s", e.d) }
func (e timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
func (e timeoutError) Timeout() bool        { return true }
