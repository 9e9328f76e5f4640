package mail

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"regexp"
	"strings"
	texttemplate "text/template"

	"gatepass.dev/shared/brand"
)

// The templates: templates/{html,text}/layout.tmpl wrap every message and
// define the shared pieces; templates/{html,text}/NAME.tmpl define "content"
// for one message. HTML goes through html/template, so user text is
// escaped by context; text goes through text/template.
//
//go:embed templates
var templateFS embed.FS

// page is what every template sees.
type page struct {
	// Subject is the mail's subject (the HTML <title>).
	Subject string
	// Footer is "Gatepass · <public URL>".
	Footer string
	// PublicURL is the cleaned public URL, linked in the HTML footer.
	PublicURL string
	// D is the message's data, already cleaned (see oneLine, multiLine).
	D any
	// TimeZone is the zone the message's times are in, said above the
	// footer ("All times in this email are in UTC …"); "" for a message
	// without times.
	TimeZone string
}

// TimeZone is the zone of every time in the emails: the recipients live
// in many zones and a mail cannot know which, so each says it uses UTC.
const TimeZone = "UTC"

// link is a call-to-action button (HTML) or a bare URL line (text).
type link struct{ URL, Label string }

// row is a label/value line of the detail table.
type row struct{ Label, Value string }

var funcs = map[string]any{
	// color is a brand colour (shared/brand's light palette) for an
	// inline style: mail clients ignore stylesheets.
	"color": brand.Light,
	// markSrc is the brand's mark, sent inline with the mail (Sender
	// embeds brand.MarkPNG as brand.MarkCID when the HTML shows it).
	"markSrc": func() htmltemplate.URL { return htmltemplate.URL("cid:" + brand.MarkCID) },
	"when":    FormatTime,
	"dur":     FormatDuration,
	"indent":  indent,
	"button":  func(url, label string) link { return link{URL: url, Label: label} },
	"pairs":   pairs,
}

// pairs turns "label", value, "label", value… into detail rows; rows with
// an empty value are skipped by the templates.
func pairs(kv ...string) []row {
	rows := make([]row, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		rows = append(rows, row{Label: kv[i], Value: kv[i+1]})
	}
	return rows
}

var messageNames = []string{
	"new_request", "approved", "denied", "expired", "revoked",
	"pending_expired", "invite", "test",
	"extension_request", "approval_progress", "extended", "break_glass",
}

var (
	htmlTemplates = map[string]*htmltemplate.Template{}
	textTemplates = map[string]*texttemplate.Template{}
)

func init() {
	htmlLayout := htmltemplate.Must(htmltemplate.New("layout.tmpl").Funcs(funcs).
		ParseFS(templateFS, "templates/html/layout.tmpl"))
	textLayout := texttemplate.Must(texttemplate.New("layout.tmpl").Funcs(funcs).
		ParseFS(templateFS, "templates/text/layout.tmpl"))
	for _, name := range messageNames {
		htmlTemplates[name] = htmltemplate.Must(htmltemplate.Must(htmlLayout.Clone()).
			ParseFS(templateFS, "templates/html/"+name+".tmpl"))
		textTemplates[name] = texttemplate.Must(texttemplate.Must(textLayout.Clone()).
			ParseFS(templateFS, "templates/text/"+name+".tmpl"))
	}
}

var blankLines = regexp.MustCompile(`\n{3,}`)

// render builds the Message of template name. The templates are fixed and
// covered by tests; should one still fail, the mail degrades to a text-only
// message with the subject rather than not being sent.
func render(name, to, subject, publicURL string, data any) Message {
	subject = HeaderSafe(subject)
	p := page{Subject: subject, Footer: footer(publicURL), PublicURL: HeaderSafe(publicURL), D: data}
	if name != "test" {
		p.TimeZone = TimeZone
	}
	m := Message{To: to, Subject: subject}

	var text bytes.Buffer
	if err := textTemplates[name].ExecuteTemplate(&text, "layout.tmpl", p); err != nil {
		m.Text = subject + "\n\n-- \n" + p.Footer + "\n"
		return m
	}
	m.Text = strings.TrimSpace(blankLines.ReplaceAllString(text.String(), "\n\n")) + "\n"

	var html bytes.Buffer
	if err := htmlTemplates[name].ExecuteTemplate(&html, "layout.tmpl", p); err == nil {
		m.HTML = html.String()
	}
	return m
}
