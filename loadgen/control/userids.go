package control

// UserIDBlock is the width of each worker's block of user IDs: the worker
// in registration slot k numbers its users from k*UserIDBlock+1. Blocks
// keep IDs distinct across the fleet (so templates such as
// {{userID}}-{{seq}} stay unique and every user draws its own random
// stream) while slot 0 numbers its users exactly as a single process does.
// A worker that starts more than UserIDBlock users over one run, counting
// restarts after retirements, would reach the next block.
const UserIDBlock = 1_000_000
