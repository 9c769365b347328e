// jemalloc's configuration for the programs that hold a registry in memory
// (creditd and the benches that measure it), linked into them through the
// creditd_huge_pages object library (CMakeLists.txt).
//
// Why: a registry of 10M subjects is ~2.5 GiB of arenas and hash tables read
// at random. With 4 KiB pages nearly every check misses the TLB as well as
// the cache, and the page walk's own misses come on top of the DRAM access.
// Debian's default transparent-huge-page mode is `madvise`: only memory that
// asks for huge pages gets them, so jemalloc is told to ask for all of its
// memory (`thp:always`), which backs the registry with 2 MiB pages.
// Operators override it like any jemalloc option: MALLOC_CONF=thp:default
// (the environment takes precedence over this string; docs/operations.md).
extern "C" {
// jemalloc reads this symbol at start-up (the executable's definition
// overrides the library's weak one).
__attribute__((visibility("default"), used)) const char* malloc_conf =
    "thp:always";
}
