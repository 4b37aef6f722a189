package main

import "testing"

func TestParseBench(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkAPI/create/memory-2         	   30000	     25978 ns/op	    9000 B/op	      77 allocs/op
BenchmarkAPI/create/memory-2         	   30000	     27000 ns/op	    9000 B/op	      77 allocs/op
BenchmarkEngineProcessReal/640x480/tracked-only-2   	    2000	    494100 ns/op	       0 B/op	       0 allocs/op
BenchmarkRenderFrame-2   	     100	   9050000 ns/op	  1.10 MB/s	  120 B/op	       4 allocs/op
PASS
`)
	res, names := parseBench(out)
	want := []string{"API/create/memory", "EngineProcessReal/640x480/tracked-only", "RenderFrame"}
	if len(names) != len(want) {
		t.Fatalf("names %v; want %v", names, want)
	}
	for i, n := range want {
		if names[i] != n {
			t.Errorf("name %d: got %q; want %q", i, names[i], n)
		}
	}
	if r := res["API/create/memory"]; len(r.nsPerOp) != 2 || median(r.nsPerOp) != 27000 || median(r.allocs) != 77 {
		t.Errorf("API/create/memory: got %+v", r)
	}
	if r := res["RenderFrame"]; r.nsPerOp[0] != 9050000 || r.allocs[0] != 4 {
		t.Errorf("RenderFrame (with MB/s): got %+v", r)
	}
}
