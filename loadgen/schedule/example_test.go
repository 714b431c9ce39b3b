package schedule_test

import (
	"fmt"
	"time"

	"github.com/loadgen/loadgen/loadgen/schedule"
)

// Stages ramp the rate linearly from where the previous stage ended; the
// first starts from the Rate's Start, zero here. The pacer spaces the
// requests along the ramp and knows exactly how many are due at any time.
func ExampleParseStages() {
	stages, err := schedule.ParseStages("10s:100,20s:100,10s:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := schedule.NewPacer(schedule.Rate{Stages: stages}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	total, _ := p.Total()
	fmt.Println("requests:", total)
	fmt.Println("due after 10s:", p.Due(10*time.Second))
	first, _ := p.Intended(0)
	second, _ := p.Intended(1)
	fmt.Println("first two at:", first, second)

	_, err = schedule.ParseStages("10s:100,20x:5")
	fmt.Println(err)
	// Output:
	// requests: 3000
	// due after 10s: 501
	// first two at: 0s 447.213595ms
	// stage 2 "20x:5": duration "20x": want a duration such as 90s, 1h20m or 1.5h (units h, m, s, ms, us, ns) or a number of seconds, below 290 years; want duration:rate pairs separated by commas, such as 30s:100,60s:1000,30s:0
}
