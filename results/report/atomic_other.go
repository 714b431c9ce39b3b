//go:build !unix

package report

const syscallNonBlock = 0

func isNoReader(error) bool { return false }
