package loopback

import (
	"net"
	"testing"
)

func TestHost(t *testing.T) {
	for host, want := range map[string]bool{"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true,
		"::1": true, "10.0.0.1": false, "localhost.example.com": false, "": false, "example.com": false} {
		if got := Host(host); got != want {
			t.Errorf("Host(%q) = %v", host, got)
		}
	}
}

func TestDialAddr(t *testing.T) {
	for _, c := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4zero, Port: 9440}, "127.0.0.1:9440"},
		{&net.TCPAddr{Port: 8080}, "127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, "[::1]:1"},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, "/tmp/s"},
	} {
		if got := DialAddr(c.addr); got != c.want {
			t.Errorf("DialAddr(%v) = %q, want %q", c.addr, got, c.want)
		}
	}
}
