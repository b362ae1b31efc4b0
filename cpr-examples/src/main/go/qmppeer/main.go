// Command qmppeer is the go-qemu peer of the QMP speed benchmark (docs/benchmarks.md, section 3).
//
//	qmppeer -socket PATH -goroutines N -millis MS
//
// It connects to a QMP monitor's Unix socket with go-qemu's qmp.SocketMonitor (NewSocketMonitor,
// then Connect, which reads the greeting and negotiates qmp_capabilities), runs one query-status
// to warm up, then for the given time runs query-status through Run: on one goroutine when N is 1,
// else on N goroutines that share the one monitor. go-qemu's Run (through RunWithFile in Debian's
// 0.0~git20221209 snapshot) holds the monitor's mutex from its write until its reply has arrived,
// so the goroutines take turns: one command is on the wire at a time.
//
// It prints, for QmpPeerOutput.parse on the Java side:
//
//	ops N       the round trips measured
//	seconds S   the time they took, from the start signal until the last goroutine finished
//	ns L        one line per round trip: its latency in nanoseconds, from the call of Run (so a
//	            goroutine's wait for the mutex counts) until it returned
//
// It exits 1 with a message on stderr if a command fails.
//
// Built by scripts/bench.sh in GOPATH mode against Debian's golang-github-digitalocean-go-qemu-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o cpr-examples/target/qmppeer ./cpr-examples/src/main/go/qmppeer
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/digitalocean/go-qemu/qmp"
)

var queryStatus = []byte(`{"execute":"query-status"}`)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "qmppeer: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	socket := flag.String("socket", "", "the QMP monitor's Unix socket")
	goroutines := flag.Int("goroutines", 1, "how many goroutines share the monitor")
	millis := flag.Int("millis", 1000, "how long to measure, in milliseconds")
	flag.Parse()
	if *socket == "" || *goroutines < 1 || *millis < 1 {
		flag.Usage()
		os.Exit(2)
	}

	monitor, err := qmp.NewSocketMonitor("unix", *socket, 30*time.Second)
	if err != nil {
		fail("dial %s: %v", *socket, err)
	}
	if err := monitor.Connect(); err != nil {
		fail("connect %s: %v", *socket, err)
	}
	defer monitor.Disconnect()
	if _, err := monitor.Run(queryStatus); err != nil {
		fail("query-status: %v", err)
	}

	// Each goroutine keeps its own latencies, so that recording one takes no lock.
	latencies := make([][]time.Duration, *goroutines)
	failures := make(chan error, *goroutines)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	var end time.Time
	for g := 0; g < *goroutines; g++ {
		ready.Add(1)
		done.Add(1)
		go func(g int) {
			defer done.Done()
			mine := make([]time.Duration, 0, 1<<14)
			ready.Done()
			<-start
			now := time.Now()
			for now.Before(end) {
				if _, err := monitor.Run(queryStatus); err != nil {
					failures <- err
					break
				}
				after := time.Now()
				mine = append(mine, after.Sub(now))
				now = after
			}
			latencies[g] = mine
		}(g)
	}
	ready.Wait()
	began := time.Now()
	end = began.Add(time.Duration(*millis) * time.Millisecond)
	close(start) // publishes end to the goroutines
	done.Wait()
	elapsed := time.Since(began)
	select {
	case err := <-failures:
		fail("query-status: %v", err)
	default:
	}

	ops := 0
	for _, l := range latencies {
		ops += len(l)
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "ops %d\nseconds %.9f\n", ops, elapsed.Seconds())
	for _, l := range latencies {
		for _, d := range l {
			fmt.Fprintf(out, "ns %d\n", d.Nanoseconds())
		}
	}
	if err := out.Flush(); err != nil {
		fail("stdout: %v", err)
	}
}
