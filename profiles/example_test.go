package profiles_test

import (
	"fmt"
	"time"

	"github.com/loadgen/loadgen/profiles"
)

// Example loads a profile, overrides its mix as --ratio does, and renders
// one user's first requests.
func Example() {
	p, err := profiles.Parse("shop.yaml", []byte(`
name: shop
wait: pacing:500ms
tasks:
  - name: /items/{id}
    path: /items/{{randInt 1 3}}
  - method: POST
    path: /orders
    headers:
      Content-Type: application/json
    body: '{"order":"{{userID}}-{{seq}}"}'
    expect: 201
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := profiles.ApplyRatio(p, "0:1"); err != nil {
		fmt.Println(err)
		return
	}
	c, err := profiles.Compile(p)
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx := profiles.NewRenderContext(42, 7) // seed 42, user 7
	var req profiles.Rendered
	post := c.Tasks()[1].Steps[0]
	for range 2 {
		if err := post.Render(ctx, &req); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %s %s\n", post.Method, req.Path, req.Body)
	}
	fmt.Println("201 is success:", post.Expect(201), "- 200 is success:", post.Expect(200))
	fmt.Println("wait after a 200ms run:", p.Wait.Next(ctx.Rand, 200*time.Millisecond))

	err = profiles.ApplyRatio(p, "3:1:1")
	fmt.Println(err)
	// Output:
	// POST /orders {"order":"7-1"}
	// POST /orders {"order":"7-2"}
	// 201 is success: true - 200 is success: false
	// wait after a 200ms run: 300ms
	// --ratio 3:1:1 has 3 weights but profile shop has 2 tasks
}
