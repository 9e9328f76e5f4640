package backendtest

import (
	"strings"

	"gatepass.dev/backend/internal/mail/smtptest"
)

// MailTo matches an email to the one recipient to, written exactly so (the
// server keeps addresses in lower case), whose subject contains
// subjectPart ("" for any subject): the argument of srv.SMTP.WaitFor.
func MailTo(to, subjectPart string) func(smtptest.Received) bool {
	return func(m smtptest.Received) bool {
		return len(m.To) == 1 && m.To[0] == to && strings.Contains(m.Subject, subjectPart)
	}
}
