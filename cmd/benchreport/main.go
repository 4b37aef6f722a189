// Command benchreport runs the benchmarks the README's performance section
// quotes (the API next to redis-benchmark, the gesture engine, landmarks,
// VP8, synthetic footage) and prints them as Markdown tables. Machines are noisy, so every figure comes with its ratio to a
// baseline measured in the same run: Redis's raw SET/GET rate with one
// client, the ceiling for a request that does one Redis round trip.
//
//	go run ./cmd/benchreport [-benchtime 2s] [-count 3]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

func main() {
	benchtime := flag.String("benchtime", "2s", "go test -benchtime")
	count := flag.Int("count", 3, "go test -count; the median is reported")
	requests := flag.Int("n", 50000, "redis-benchmark requests per test")
	flag.Parse()
	if err := run(*benchtime, *count, *requests); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

type result struct {
	nsPerOp, allocs []float64
}

func run(benchtime string, count, requests int) error {
	redisOps, err := redisBenchmark(requests)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkAPI$", "-benchmem",
		"-benchtime", benchtime, "-count", strconv.Itoa(count), "./internal/server")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go test -bench: %w\n%s", err, out)
	}
	all, _ := parseBench(out)
	results := map[string]*result{}
	for n, r := range all {
		if name, ok := strings.CutPrefix(n, "API/"); ok {
			results[name] = r
		}
	}

	fmt.Printf("Machine: %s, %d cores (GOMAXPROCS %d), %s\n\n", cpuName(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("redis-benchmark, 1 client, %d requests: SET %.0f ops/s, GET %.0f ops/s\n\n", requests, redisOps["SET"], redisOps["GET"])
	fmt.Println("| benchmark (full HTTP stack, 1 goroutine) | ops/s | allocs/op | ratio to Redis raw rate (same run) |")
	fmt.Println("|---|---:|---:|---:|")
	names := make([]string, 0, len(results))
	for n := range results {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r := results[n]
		ops := 1e9 / median(r.nsPerOp)
		base := redisOps["SET"]
		if strings.HasPrefix(n, "get/") {
			base = redisOps["GET"]
		}
		fmt.Printf("| %s | %.0f | %.0f | %.2f× |\n", n, ops, median(r.allocs), ops/base)
	}
	for _, sec := range sections {
		if err := sec.run(benchtime, count); err != nil {
			return err
		}
	}
	return nil
}

// section is one table of the report: the benchmarks matching bench in
// pkgs, each shown with its ratio to a baseline from the same command.
type section struct {
	title, note string
	pkgs        []string
	bench       string
	// baseline names the row a row is compared with, or "" for none;
	// realTime, when set, compares with a frame period instead.
	baseline func(name string) string
	realTime float64 // ns per frame at the clip rate
}

var sections = []section{
	{
		title: "Gesture engine, per frame (YuNet to acquire and every 300 ms, tracking from landmarks between)",
		note:  "ratio: time per frame against YuNet detection alone on the same frame size, same run",
		pkgs:  []string{"./internal/gesture"}, bench: "^BenchmarkEngineProcessReal$",
		baseline: func(n string) string { return n[:strings.LastIndex(n, "/")] + "/yunet-detect-only" },
	},
	{
		title: "Landmarks (pure Go, 68 points) and detection",
		note:  "ratio: against YuNet detection of a 640×480 frame, same run",
		pkgs:  []string{"./internal/gesture/landmarks", "./internal/perception"}, bench: "^(BenchmarkPredict|BenchmarkDetect640x480|BenchmarkDetect1280x720|BenchmarkDetectAndPredict640x480)$",
		baseline: func(string) string { return "Detect640x480" },
	},
	{
		title: "VP8 (libvpx), 640×480",
		note:  "ratio: against encoding the same clip, same run",
		pkgs:  []string{"./internal/codec/vpx"}, bench: "^(BenchmarkDecode640x480|BenchmarkDecode640x480Textured|BenchmarkEncode640x480)$",
		baseline: func(string) string { return "Encode640x480" },
	},
	{
		title: "Synthetic footage (facegen), 640×480",
		note:  "ratio: rendering speed against real time at 15 fps",
		pkgs:  []string{"./internal/facegen"}, bench: "^BenchmarkRenderFrame$",
		realTime: 1e9 / 15,
	},
	{
		title: "Explainable evidence (issue 13): the challenge per frame with and without its trace, and the trace's conversion once per finished attempt",
		note:  "ratio: against the challenge per frame without the trace, same run",
		pkgs:  []string{"./internal/gesture"}, bench: "^(BenchmarkChallengeObserveTrace|BenchmarkChallengeEvidence)$",
		baseline: func(string) string { return "ChallengeObserveTrace/without" },
	},
	{
		title: "Session report page (GET /report/{sid}, two gestures of evidence)",
		note:  "ratio: against the not-found page, same run",
		pkgs:  []string{"./internal/web"}, bench: "^BenchmarkReportPage$",
		baseline: func(string) string { return "ReportPage/not-found-page" },
	},
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?\s([\d.]+) allocs/op)?`)

func (s section) run(benchtime string, count int) error {
	args := append([]string{"test", "-run", "^$", "-bench", s.bench, "-benchmem",
		"-benchtime", benchtime, "-count", strconv.Itoa(count)}, s.pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	res, names := parseBench(out)
	fmt.Printf("\n%s (%s)\n\n", s.title, s.note)
	fmt.Println("| benchmark | time/op | allocs/op | ratio |")
	fmt.Println("|---|---:|---:|---:|")
	for _, n := range names {
		ns := median(res[n].nsPerOp)
		ratio := "—"
		switch {
		case s.realTime > 0:
			ratio = fmt.Sprintf("%.1f× real time", s.realTime/ns)
		case s.baseline != nil:
			if b := res[s.baseline(n)]; b != nil && s.baseline(n) != n {
				ratio = fmt.Sprintf("%.2f×", ns/median(b.nsPerOp))
			}
		}
		fmt.Printf("| %s | %s | %.0f | %s |\n", n, fmtNs(ns), median(res[n].allocs), ratio)
	}
	return nil
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

// parseBench reads go test -bench output: each benchmark's runs, by name
// without the Benchmark prefix and the -GOMAXPROCS suffix, in order of first
// appearance.
func parseBench(out []byte) (map[string]*result, []string) {
	res := map[string]*result{}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		r := res[m[1]]
		if r == nil {
			r = &result{}
			res[m[1]] = r
			names = append(names, m[1])
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		allocs, _ := strconv.ParseFloat(m[3], 64)
		r.nsPerOp = append(r.nsPerOp, ns)
		r.allocs = append(r.allocs, allocs)
	}
	return res, names
}

// redisBenchmark measures Redis's raw SET and GET rate with one client, the
// same concurrency as the Go benchmarks.
func redisBenchmark(n int) (map[string]float64, error) {
	out, err := exec.Command("redis-benchmark", "-h", "127.0.0.1", "-p", "6379", "-c", "1",
		"-n", strconv.Itoa(n), "-t", "set,get", "--csv").Output()
	if err != nil {
		return nil, fmt.Errorf("redis-benchmark (is Redis running? `make redis`): %w", err)
	}
	ops := map[string]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		name := strings.Trim(f[0], `"`)
		v, err := strconv.ParseFloat(strings.Trim(f[1], `"`), 64)
		if err == nil && (name == "SET" || name == "GET") {
			ops[name] = v
		}
	}
	if ops["SET"] == 0 || ops["GET"] == 0 {
		return nil, fmt.Errorf("could not read redis-benchmark's output:\n%s", out)
	}
	return ops, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
