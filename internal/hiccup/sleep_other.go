//go:build !linux

package hiccup

import "time"

func nanosleep(d time.Duration) { time.Sleep(d) }
