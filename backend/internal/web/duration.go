package web

import (
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/fault"
)

// preset is one of the grant durations offered.
type preset struct {
	Label   string
	Seconds int64
}

// presets are the durations the grant dialog offers; those above a
// network's maximum are not offered there.
var presets = []preset{
	{"1 hour", 3600}, {"8 hours", 8 * 3600}, {"1 day", 86400}, {"7 days", 7 * 86400}, {"30 days", 30 * 86400},
}

// units of a custom duration.
var units = map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}

// durationChoice is a duration picker's state as the server renders it.
type durationChoice struct {
	Presets      []presetChoice
	Custom       bool   // the custom choice is selected
	CustomAmount int64  // its amount
	CustomUnit   string // m, h or d
	Max          time.Duration
}

type presetChoice struct {
	preset
	Checked bool
}

// choiceFor offers the presets up to max, with def (the network's default)
// selected — as a preset, or as a custom value.
func choiceFor(def, max time.Duration) durationChoice {
	c := durationChoice{Max: max, CustomUnit: "h"}
	found := false
	for _, p := range presets {
		d := time.Duration(p.Seconds) * time.Second
		if max > 0 && d > max {
			continue
		}
		pc := presetChoice{preset: p, Checked: d == def}
		found = found || pc.Checked
		c.Presets = append(c.Presets, pc)
	}
	if !found && def > 0 {
		c.Custom = true
		c.CustomAmount, c.CustomUnit = splitDuration(def)
	}
	return c
}

// splitDuration expresses d in the largest unit that divides it.
func splitDuration(d time.Duration) (int64, string) {
	switch {
	case d%(24*time.Hour) == 0:
		return int64(d / (24 * time.Hour)), "d"
	case d%time.Hour == 0:
		return int64(d / time.Hour), "h"
	}
	return int64((d + time.Minute - 1) / time.Minute), "m"
}

// formDuration reads the grant form: duration is a preset's seconds, or
// "custom" with custom_amount and custom_unit. The result is checked
// against the longest grant there is; access.Apply checks the network's
// maximum.
func formDuration(get func(string) string) (time.Duration, error) {
	choice := strings.TrimSpace(get("duration"))
	var secs int64
	switch choice {
	case "":
		return 0, fault.Field("duration", "choose a duration")
	case "custom":
		amount, err := strconv.ParseInt(strings.TrimSpace(get("custom_amount")), 10, 64)
		unit, ok := units[get("custom_unit")]
		if err != nil || amount <= 0 || !ok {
			return 0, fault.Field("duration", "enter a custom duration: a whole number of minutes, hours or days")
		}
		if amount > int64(access.MaxGrant/unit) {
			return 0, fault.Field("duration", "is longer than the maximum of "+"%s", access.FormatDuration(access.MaxGrant))
		}
		secs = amount * int64(unit/time.Second)
	default:
		n, err := strconv.ParseInt(choice, 10, 64)
		if err != nil || n <= 0 {
			return 0, fault.Field("duration", "choose a duration")
		}
		secs = n
	}
	return access.ValidateSeconds("duration", secs, 0)
}

// durationInput reads an amount and a unit field pair (network defaults
// and maximums); ok is false when the amount is empty.
func durationInput(get func(string) string, name string) (secs int64, ok bool, err error) {
	raw := strings.TrimSpace(get(name + "_amount"))
	if raw == "" {
		return 0, false, nil
	}
	amount, perr := strconv.ParseInt(raw, 10, 64)
	unit, uok := units[get(name+"_unit")]
	if perr != nil || amount <= 0 || !uok {
		return 0, false, fault.Field(name+"_seconds", "must be a whole number of minutes, hours or days")
	}
	if amount > int64(access.MaxGrant/unit) {
		return 0, false, fault.Field(name+"_seconds", "is longer than the maximum of "+"%s", access.FormatDuration(access.MaxGrant))
	}
	return amount * int64(unit/time.Second), true, nil
}
