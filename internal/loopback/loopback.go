// Package loopback says whether a host is this machine: the one rule every part of
// graphcomms uses to allow plain http (and the emulator's tokens) on loopback only.
package loopback

import (
	"net"
	"strconv"
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

// DialAddr is the host:port that reaches a listener at a: 127.0.0.1 when it listens
// on every address.
func DialAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}
