// Command ratios reads `go test -bench` output (several -count runs) from standard input
// and prints a Markdown table of medians for benchmarks named .../sdk=graphcomms and
// .../sdk=msgraph, with msgraph / graphcomms ratios.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)

type samples struct{ ns, bytes, allocs []float64 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func main() {
	data := map[string]map[string]*samples{}
	var order []string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name, sdk, ok := strings.Cut(m[1], "/sdk=")
		if !ok {
			continue
		}
		if data[name] == nil {
			data[name] = map[string]*samples{}
			order = append(order, name)
		}
		s := data[name][sdk]
		if s == nil {
			s = &samples{}
			data[name][sdk] = s
		}
		f := func(x string) float64 { v, _ := strconv.ParseFloat(x, 64); return v }
		s.ns = append(s.ns, f(m[2]))
		s.bytes = append(s.bytes, f(m[3]))
		s.allocs = append(s.allocs, f(m[4]))
	}
	fmt.Println("| benchmark | graphcomms ns/op | msgraph ns/op | time ratio | graphcomms B/op | msgraph B/op | graphcomms allocs | msgraph allocs | allocs ratio |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, name := range order {
		o, t := data[name]["graphcomms"], data[name]["msgraph"]
		if o == nil || t == nil {
			continue
		}
		on, tn := median(o.ns), median(t.ns)
		oa, ta := median(o.allocs), median(t.allocs)
		fmt.Printf("| %s | %.0f | %.0f | %.1fx | %.0f | %.0f | %.0f | %.0f | %.1fx |\n", name, on, tn, tn/on,
			median(o.bytes), median(t.bytes), oa, ta, ta/oa)
	}
}
