#pragma once

namespace bb::app {

// Returns memory the allocator holds but no longer uses to the OS. Start-up decodes the read
// model's checkpoint (or folds the log), far bigger transiently than what stays; without this the
// allocator keeps those pages and the service's RSS stays at the start-up peak.
void release_free_memory();

}  // namespace bb::app
