// Command hostile runs a hostile test target until it is killed, for
// measuring what a misbehaving target costs a load generator process
// (scripts/hostile.sh). It prints the target's URL on its first line.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/loadgen/loadgen/internal/hostile"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	mode := flag.String("mode", string(hostile.Never), "how to misbehave")
	bodySize := flag.Int64("body-size", 0, "big-body: body bytes (0: the default)")
	headerSize := flag.Int("header-size", 0, "big-headers: header bytes (0: the default)")
	flag.Parse()
	m, err := hostile.ParseMode(*mode)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(2)
	}
	s, err := hostile.Listen(*addr, m, hostile.Options{BodySize: *bodySize, HeaderSize: *headerSize})
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
	fmt.Println(s.URL)
	s.Wait()
}
