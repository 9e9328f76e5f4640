package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// networkForm is the create and edit form of a network.
type networkForm struct {
	ID            string // "" when creating
	Name          string
	Description   string
	CIDR          string
	Routes        string // one per line
	ListenPort    string
	Endpoint      string
	JIT           bool
	DefaultAmount int64
	DefaultUnit   string
	MaxAmount     int64
	MaxUnit       string
	AllUsers      bool
	Members       map[string]bool
	Users         []store.User
	Error         string
	Field         string
}

func formOf(n store.Network) networkForm {
	f := networkForm{ID: n.ID, Name: n.Name, Description: n.Description, CIDR: n.CIDR, Routes: strings.Join(n.Routes, "\n"),
		ListenPort: strconv.Itoa(n.ListenPort), Endpoint: n.Endpoint, JIT: n.JITEnabled, AllUsers: n.AllUsers, Members: map[string]bool{}}
	f.DefaultAmount, f.DefaultUnit = splitDuration(n.DefaultDuration)
	f.MaxAmount, f.MaxUnit = splitDuration(n.MaxDuration)
	for _, id := range n.MemberIDs {
		f.Members[id] = true
	}
	return f
}

func (s *Server) newNetworkPage(w http.ResponseWriter, r *http.Request, v *visit) {
	f := networkForm{JIT: true, DefaultAmount: 8, DefaultUnit: "h", MaxAmount: 30, MaxUnit: "d", AllUsers: true, Members: map[string]bool{}}
	s.renderNetworkForm(w, r, v, http.StatusOK, f)
}

func (s *Server) editNetworkPage(w http.ResponseWriter, r *http.Request, v *visit) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such network.")
		return
	} else if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	s.renderNetworkForm(w, r, v, http.StatusOK, formOf(n))
}

func (s *Server) renderNetworkForm(w http.ResponseWriter, r *http.Request, v *visit, status int, f networkForm) {
	users, err := store.ListUsers(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	f.Users = users
	title := "New network"
	if f.ID != "" {
		title = "Edit " + f.Name
	}
	s.render(w, r, v, status, "network_form", title, f)
}

// readNetworkForm reads the posted form into f and the API's input. For an
// edit (cur given) only the fields that differ are set, so the audit row
// names what changed.
func readNetworkForm(r *http.Request, cur *store.Network) (networkForm, api.NetworkInput, error) {
	get := r.PostFormValue
	f := networkForm{Name: strings.TrimSpace(get("name")), Description: get("description"), CIDR: strings.TrimSpace(get("cidr")),
		Routes: get("routes"), ListenPort: strings.TrimSpace(get("listen_port")), Endpoint: strings.TrimSpace(get("endpoint")),
		JIT: get("jit_enabled") == "on", AllUsers: get("members") != "selected", Members: map[string]bool{},
		DefaultUnit: get("default_unit"), MaxUnit: get("max_unit")}
	f.DefaultAmount, _ = strconv.ParseInt(strings.TrimSpace(get("default_amount")), 10, 64)
	f.MaxAmount, _ = strconv.ParseInt(strings.TrimSpace(get("max_amount")), 10, 64)
	_ = r.ParseForm()
	members := r.PostForm["member"]
	for _, id := range members {
		f.Members[id] = true
	}
	var in api.NetworkInput
	var routes []string
	for _, line := range strings.FieldsFunc(f.Routes, func(c rune) bool { return c == '\n' || c == ',' || c == '\r' }) {
		if line = strings.TrimSpace(line); line != "" {
			routes = append(routes, line)
		}
	}
	if routes == nil {
		routes = []string{}
	}
	def, defOK, err := durationInput(get, "default")
	if err != nil {
		return f, in, err
	}
	max, maxOK, err := durationInput(get, "max")
	if err != nil {
		return f, in, err
	}
	var port int
	if f.ListenPort != "" {
		if port, err = strconv.Atoi(f.ListenPort); err != nil {
			return f, in, fault.Field("listen_port", "%q is not a port number", f.ListenPort)
		}
	}
	if cur == nil {
		in = api.NetworkInput{Name: &f.Name, Description: &f.Description, CIDR: &f.CIDR, Routes: &routes, JITEnabled: &f.JIT}
		if f.ListenPort != "" {
			in.ListenPort = &port
		}
		if f.Endpoint != "" {
			in.Endpoint = &f.Endpoint
		}
		if defOK {
			in.DefaultDurationSeconds = &def
		}
		if maxOK {
			in.MaxDurationSeconds = &max
		}
		if !f.AllUsers {
			in.MemberIDs = &members
		}
		return f, in, nil
	}
	f.ID, f.CIDR = cur.ID, cur.CIDR
	if f.Name != cur.Name {
		in.Name = &f.Name
	}
	if strings.TrimSpace(f.Description) != cur.Description {
		in.Description = &f.Description
	}
	if !slices.Equal(routes, cur.Routes) && !(len(routes) == 0 && len(cur.Routes) == 0) {
		in.Routes = &routes
	}
	if f.ListenPort != "" && port != cur.ListenPort {
		in.ListenPort = &port
	}
	if f.Endpoint != cur.Endpoint && f.Endpoint != "" {
		in.Endpoint = &f.Endpoint
	}
	if f.JIT != cur.JITEnabled {
		in.JITEnabled = &f.JIT
	}
	if defOK && time.Duration(def)*time.Second != cur.DefaultDuration {
		in.DefaultDurationSeconds = &def
	}
	if maxOK && time.Duration(max)*time.Second != cur.MaxDuration {
		in.MaxDurationSeconds = &max
	}
	if f.AllUsers != cur.AllUsers || (!f.AllUsers && !sameSet(members, cur.MemberIDs)) {
		if f.AllUsers {
			in.AllUsers = &f.AllUsers
		} else {
			in.MemberIDs = &members
		}
	}
	return f, in, nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// formError fills the form's error from a validation failure; ok is false
// for any other error.
func formError(f *networkForm, err error) bool {
	text, field, ok := problem(err)
	f.Error, f.Field = text, field
	return ok
}
