// Package loopback says whether a host is this machine: the one rule every part of
// graphcomms uses to allow plain http (and the emulator's tokens) on loopback only.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host (without port or brackets) is "localhost" (in any case) or
// a loopback IP address (127.0.0.0/8, ::1).
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
