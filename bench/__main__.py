import sys

BENCHMARKS = {
    "api": "bench.api",
    "pages": "bench.pages",
    "jobs": "bench.jobs",
    "history": "bench.history",
    "advisor": "bench.advisor",
    "notifications": "bench.notifications",
    "search": "bench.search",
    "fuzz": "bench.fuzz",
    "lists": "bench.lists",
    "faults": "bench.faults",
    "scale": "bench.scale",
    "drain": "bench.drain",
    "writers": "bench.writers",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        print(f"usage: python -m bench {{{','.join(BENCHMARKS)}}} [options]")
        raise SystemExit(2)
    import importlib

    importlib.import_module(BENCHMARKS[sys.argv[1]]).main(sys.argv[2:])


if __name__ == "__main__":
    main()
