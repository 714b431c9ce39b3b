package threshold

// metric is what a threshold measures.
type metric uint8

const (
	metricPercentile metric = iota + 1
	metricAvg
	metricMin
	metricMax
	metricMedian
	metricFailRatio
	metricFailures
	metricRequests
	metricRPS
	metricCurrentRPS
	metricAbandoned
	metricPauses
)

// kind is the type of a metric's values: it decides which limits are
// accepted, how they compare and how they are shown.
type kind uint8

const (
	kindTime  kind = iota + 1 // a response time, compared as a time.Duration
	kindRatio                 // a fraction of requests, 0 to 1
	kindCount                 // a whole number of requests
	kindRate                  // requests per second
)

// metricNames lists the accepted names for the unknown-metric message. It
// is a function, not a variable, so the package holds no mutable state.
func metricNames() string {
	return "pNN (a percentile such as p50, p95, p99.9 or p100), avg, min, max, median (or med), " +
		"fail_ratio, failures, requests (or count), rps, current_rps, abandoned, pauses"
}

// lookupMetric maps a fixed metric name to its metric; percentiles are
// handled by the parser.
func lookupMetric(name string) (metric, bool) {
	switch name {
	case "avg":
		return metricAvg, true
	case "min":
		return metricMin, true
	case "max":
		return metricMax, true
	case "med", "median":
		return metricMedian, true
	case "fail_ratio":
		return metricFailRatio, true
	case "failures":
		return metricFailures, true
	case "requests", "count":
		return metricRequests, true
	case "rps":
		return metricRPS, true
	case "current_rps":
		return metricCurrentRPS, true
	case "abandoned":
		return metricAbandoned, true
	case "pauses":
		return metricPauses, true
	}
	return 0, false
}

func (m metric) kind() kind {
	switch m {
	case metricFailRatio:
		return kindRatio
	case metricFailures, metricRequests, metricAbandoned, metricPauses:
		return kindCount
	case metricRPS, metricCurrentRPS:
		return kindRate
	}
	return kindTime
}

// name returns the canonical spelling; pct is the percentile in percent,
// used only by metricPercentile.
func (m metric) name(pct string) string {
	switch m {
	case metricPercentile:
		return "p" + pct
	case metricAvg:
		return "avg"
	case metricMin:
		return "min"
	case metricMax:
		return "max"
	case metricMedian:
		return "median"
	case metricFailRatio:
		return "fail_ratio"
	case metricFailures:
		return "failures"
	case metricRequests:
		return "requests"
	case metricRPS:
		return "rps"
	case metricCurrentRPS:
		return "current_rps"
	case metricAbandoned:
		return "abandoned"
	case metricPauses:
		return "pauses"
	}
	return "?"
}

// unit names the unit of a Result's Value and Limit, for reports: its
// kind's, but pauses are counts of no requests.
func (m metric) unit() string {
	if m == metricPauses {
		return "pauses"
	}
	return m.kind().unit()
}

// unit names the unit of a kind's values, for reports.
func (k kind) unit() string {
	switch k {
	case kindTime:
		return "ms"
	case kindRatio:
		return "ratio"
	case kindCount:
		return "requests"
	}
	return "req/s"
}

// what describes the values of a kind in error messages.
func (k kind) what() string {
	switch k {
	case kindTime:
		return "a response time"
	case kindRatio:
		return "a fraction of requests"
	case kindCount:
		return "a number of requests"
	}
	return "a rate in requests per second"
}

// example is a limit of the kind, for error messages.
func (k kind) example() string {
	switch k {
	case kindTime:
		return "250ms, 1.5s or 500us"
	case kindRatio:
		return "0.01 or 1%"
	case kindCount:
		return "100"
	}
	return "500 or 12.5"
}
