package main

// The window's TypeScript types (frontend/src/types.ts) are written by hand
// and checked here against the Go types they mirror: a JSON name that
// drifts on either side fails this test. (Generating them, with tygo, would
// lose the doc comments and the literal unions the UI narrows on; the check
// keeps both.) For each interface: the same JSON names; a Go field with
// omitempty is optional (?) in TypeScript; a Go pointer is "| null"; the
// kinds agree (strings, numbers, booleans, times as strings, nested types
// by their mapped names); and the string unions list exactly the Go
// constants.

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
)

// tsMirrors maps each interface of types.ts to the Go type it mirrors.
var tsMirrors = map[string]reflect.Type{
	"User":          reflect.TypeFor[api.User](),
	"AccessRequest": reflect.TypeFor[api.Request](),
	"TunnelStats":   reflect.TypeFor[localapi.TunnelStats](),
	"Network":       reflect.TypeFor[localapi.Network](),
	"Prefs":         reflect.TypeFor[localapi.Prefs](),
	"ProxyAuth":     reflect.TypeFor[localapi.ProxyAuth](),
	"Device":        reflect.TypeFor[localapi.Device](),
	"AccountDevice": reflect.TypeFor[api.Device](),
	"DeviceList":    reflect.TypeFor[localapi.Devices](),
	"History":       reflect.TypeFor[localapi.History](),
	"Status":        reflect.TypeFor[localapi.Status](),
	"AgentInfo":     reflect.TypeFor[AgentInfo](),
	"UIState":       reflect.TypeFor[UIState](),
	"Settings":      reflect.TypeFor[Settings](),
	"OpenRequest":   reflect.TypeFor[OpenRequest](),
	"Approval":      reflect.TypeFor[api.Approval](),
	"BreakGlass":    reflect.TypeFor[api.MyBreakGlass](),
}

// tsUnions maps each string union of types.ts to the Go constants.
var tsUnions = map[string][]string{
	"NetworkState":  strs(api.StateRequest, api.StatePending, api.StateScheduled, api.StateActive, api.StateStanding),
	"RequestKind":   strs(api.KindAccess, api.KindExtension, api.KindBreakGlass),
	"DialogKind":    strs(DialogRequest, DialogExtend),
	"RequestStatus": strs(api.AllStatuses...),
	"Role":          strs(api.RoleAdmin, api.RoleUser),
	"TunnelState":   strs(agent.TunnelStates...),
}

func strs[T ~string](v ...T) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = string(s)
	}
	return out
}

type tsField struct {
	optional bool
	typ      string // as written, without "| null"
	nullable bool
}

var (
	tsInterface = regexp.MustCompile(`(?ms)^export interface (\w+) \{\n(.*?)^\}`)
	tsUnion     = regexp.MustCompile(`(?m)^export type (\w+) = ((?:'[^']*'(?: \| )?)+);`)
	tsProp      = regexp.MustCompile(`^\s*(\w+)(\??): (.+);$`)
	tsComment   = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
)

// parseTypes reads types.ts: its interfaces' properties and its unions.
func parseTypes(t *testing.T) (map[string]map[string]tsField, map[string][]string) {
	t.Helper()
	b, err := os.ReadFile("../frontend/src/types.ts")
	if err != nil {
		t.Fatal(err)
	}
	src := tsComment.ReplaceAllString(string(b), "")
	ifaces := map[string]map[string]tsField{}
	for _, m := range tsInterface.FindAllStringSubmatch(src, -1) {
		props := map[string]tsField{}
		for _, line := range strings.Split(m[2], "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			p := tsProp.FindStringSubmatch(line)
			if p == nil {
				t.Fatalf("types.ts: interface %s: cannot read %q", m[1], line)
			}
			f := tsField{optional: p[2] == "?", typ: p[3]}
			if strings.HasSuffix(f.typ, " | null") {
				f.typ, f.nullable = strings.TrimSuffix(f.typ, " | null"), true
			}
			props[p[1]] = f
		}
		ifaces[m[1]] = props
	}
	unions := map[string][]string{}
	for _, m := range tsUnion.FindAllStringSubmatch(src, -1) {
		var vals []string
		for _, v := range strings.Split(m[2], " | ") {
			vals = append(vals, strings.Trim(v, "'"))
		}
		unions[m[1]] = vals
	}
	return ifaces, unions
}

type goField struct {
	name      string
	typ       reflect.Type
	omitempty bool
}

// jsonFields lists t's fields as encoding/json sees them (embedded
// structs flattened, "-" skipped).
func jsonFields(t reflect.Type) []goField {
	var out []goField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, goField{name: name, typ: f.Type, omitempty: strings.Contains(opts, "omitempty")})
	}
	return out
}

var timeType = reflect.TypeFor[time.Time]()

// kindOK says whether the TypeScript type ts can hold Go's t.
func kindOK(ts string, t reflect.Type, unions map[string][]string) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return ts == "string"
	}
	if name, ok := mirrorOf(t); ok {
		return ts == name
	}
	switch t.Kind() {
	case reflect.String:
		if ts == "string" {
			return true
		}
		if _, ok := unions[ts]; ok {
			return true
		}
		// A union with a catch-all (e.g. 'netstack' | 'tun' | string).
		return strings.HasSuffix(ts, "| string")
	case reflect.Bool:
		return ts == "boolean"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Float64:
		return ts == "number"
	case reflect.Slice:
		return strings.HasSuffix(ts, "[]") && kindOK(strings.TrimSuffix(ts, "[]"), t.Elem(), unions)
	case reflect.Map:
		return strings.HasPrefix(ts, "Record<string, ") && kindOK(strings.TrimSuffix(strings.TrimPrefix(ts, "Record<string, "), ">"), t.Elem(), unions)
	}
	return false
}

func mirrorOf(t reflect.Type) (string, bool) {
	for name, gt := range tsMirrors {
		if gt == t {
			return name, true
		}
	}
	return "", false
}

func TestTypeScriptTypesMatchGo(t *testing.T) {
	ifaces, unions := parseTypes(t)
	if len(ifaces) < 10 {
		t.Fatalf("read only %d interfaces from types.ts", len(ifaces))
	}
	for name := range ifaces {
		if _, ok := tsMirrors[name]; !ok {
			t.Errorf("types.ts: interface %s mirrors no Go type known to this test: add it to tsMirrors", name)
		}
	}
	for name, gt := range tsMirrors {
		props, ok := ifaces[name]
		if !ok {
			t.Errorf("types.ts has no interface %s (the Go %v)", name, gt)
			continue
		}
		seen := map[string]bool{}
		for _, f := range jsonFields(gt) {
			seen[f.name] = true
			p, ok := props[f.name]
			switch {
			case !ok:
				t.Errorf("%s: types.ts lacks %q (Go %v.%s)", name, f.name, gt, f.name)
				continue
			case f.omitempty && !p.optional:
				t.Errorf("%s.%s: Go omits it when empty (omitempty): make it optional (?) in types.ts", name, f.name)
			case f.typ.Kind() == reflect.Pointer && !p.nullable && !p.optional:
				t.Errorf("%s.%s: Go sends null (a pointer): add | null in types.ts", name, f.name)
			case f.typ.Kind() != reflect.Pointer && f.typ.Kind() != reflect.Slice && f.typ.Kind() != reflect.Map && p.nullable:
				t.Errorf("%s.%s: Go never sends null, types.ts says | null", name, f.name)
			}
			if !kindOK(p.typ, f.typ, unions) {
				t.Errorf("%s.%s: types.ts says %s, Go has %v", name, f.name, p.typ, f.typ)
			}
		}
		for prop := range props {
			if !seen[prop] {
				t.Errorf("%s: types.ts has %q, which the Go %v does not send", name, prop, gt)
			}
		}
	}
	for name, want := range tsUnions {
		got := unions[name]
		if got == nil {
			t.Errorf("types.ts has no union %s", name)
			continue
		}
		g, w := slices.Clone(got), slices.Clone(want)
		sort.Strings(g)
		sort.Strings(w)
		if !slices.Equal(g, w) {
			t.Errorf("types.ts: %s = %v, the Go constants are %v", name, got, want)
		}
	}
}
