package albumsvc

import "fmt"

// Album is one record of the catalogue. IDs are assigned by the service,
// start at 1 and are dense, which lets listings walk ids instead of
// sorting keys.
type Album struct {
	ID     int64   `json:"id"`
	Title  string  `json:"title"`
	Artist string  `json:"artist"`
	Price  float64 `json:"price"`
}

// preloadAlbum returns the i-th (0-based) album of the preload set, without
// an id. The first three are the classic sample catalogue; later ones are
// generated so that any preload size gives distinct, recognisable records.
func preloadAlbum(i int) Album {
	switch i {
	case 0:
		return Album{Title: "Blue Train", Artist: "John Coltrane", Price: 56.99}
	case 1:
		return Album{Title: "Jeru", Artist: "Gerry Mulligan", Price: 17.99}
	case 2:
		return Album{Title: "Sarah Vaughan and Clifford Brown", Artist: "Sarah Vaughan", Price: 39.99}
	}
	n := i + 1
	return Album{
		Title:  fmt.Sprintf("Sample Album %d", n),
		Artist: fmt.Sprintf("Sample Artist %d", n%17+1),
		Price:  float64(n%50) + 0.99,
	}
}
