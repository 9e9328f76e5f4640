package web

import (
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/humantime"
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
	// Wished is what the requester asked for (0: nothing), and Clamped
	// whether it was more than the network allows (the maximum is then
	// preselected instead).
	Wished  time.Duration
	Clamped bool
	// IDPrefix keeps the element ids of two pickers on one page apart.
	IDPrefix string
}

type presetChoice struct {
	preset
	Checked bool
	Asked   bool // the chip of the requester's wish (not a standard preset)
}

// choiceFor offers the presets up to max and selects what the requester
// asked for (wished, clamped to max), else def (the network's default).
// A wish that is no preset gets a chip of its own among the presets, so
// that it is one click like the others; a default that is no preset is
// selected as a custom value.
func choiceFor(def, max, wished time.Duration) durationChoice {
	c := durationChoice{Max: max, CustomUnit: "h", Wished: wished}
	target := def
	if wished > 0 {
		target = wished
		if max > 0 && wished > max {
			target, c.Clamped = max, true
		}
	}
	found := false
	for _, p := range presets {
		d := time.Duration(p.Seconds) * time.Second
		if max > 0 && d > max {
			continue
		}
		if wished > 0 && !found && target < d {
			c.Presets = append(c.Presets, presetChoice{preset: preset{Label: chipLabel(target), Seconds: int64(target / time.Second)}, Checked: true, Asked: true})
			found = true
		}
		pc := presetChoice{preset: p, Checked: d == target}
		found = found || pc.Checked
		c.Presets = append(c.Presets, pc)
	}
	if !found && wished > 0 {
		c.Presets = append(c.Presets, presetChoice{preset: preset{Label: chipLabel(target), Seconds: int64(target / time.Second)}, Checked: true, Asked: true})
		found = true
	}
	if !found && def > 0 {
		c.Custom = true
		c.CustomAmount, c.CustomUnit = splitDuration(def)
	}
	return c
}

// chipLabel names a duration on a chip as the presets do: "2 hours",
// "3 days", "1 hour"; else the short form ("1h 30m").
func chipLabel(d time.Duration) string {
	n, unit := splitDuration(d)
	word := map[string]string{"d": "day", "h": "hour"}[unit]
	if word == "" {
		return humantime.Span(d)
	}
	return plural(int(n), word)
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
			return 0, fault.Field("duration", "is longer than the maximum of "+"%s", humantime.Span(access.MaxGrant))
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
		return 0, false, fault.Field(name+"_seconds", "is longer than the maximum of "+"%s", humantime.Span(access.MaxGrant))
	}
	return amount * int64(unit/time.Second), true, nil
}
