# pg_readmodel — PGXS build.  `make demo` and `make test` are the two
# commands a new user needs; see README.md.

EXTENSION  = pg_readmodel
MODULE_big = pg_readmodel
OBJS = \
	src/pg_readmodel.o \
	src/util.o \
	src/sandbox.o \
	src/keyed.o \
	src/keys.o \
	src/catalog.o \
	src/sync.o \
	src/read_your_writes.o \
	src/snapshot_check.o \
	src/feed.o \
	src/versioning.o \
	src/deferred.o \
	src/deferred_worker.o \
	src/queue_insert.o \
	src/suspend.o \
	src/last_applied.o \
	src/online.o \
	src/model_cache.o \
	src/maintainable.o \
	src/analyze.o \
	src/analyze_expand.o \
	src/analyze_walk.o \
	src/analyze_functions.o \
	src/analyze_sql_bodies.o \
	src/analyze_edges.o \
	src/analyze_routes.o \
	src/analyze_union.o \
	src/full_join.o \
	src/analyze_window.o \
	src/analyze_order.o \
	src/analyze_key.o \
	src/analyze_key_expr.o \
	src/analyze_patch.o \
	src/analyze_delta.o \
	src/capture.o \
	src/queue.o \
	src/locks.o \
	src/apply.o \
	src/patch.o \
	src/delta_capture.o \
	src/delta_apply.o \
	src/cascade.o \
	src/jsonb_patch.o \
	src/stats.o \
	src/lifecycle.o \
	src/triggers.o \
	src/ddl_events.o \
	src/ddl_views.o \
	src/ddl_types.o \
	src/ddl_functions.o \
	src/partitions.o \
	src/model_partitions.o \
	src/introspect.o \
	src/verify.o \
	src/health.o \
	src/grants.o \
	src/ctas.o

DATA = $(wildcard sql/pg_readmodel--*.sql)

# pg_regress tests (sql/*.sql, expected/*.out), in this order.
REGRESS = declaration shape_root_filter patch_grouped delta_aggregates shape_joins shape_subqueries \
	shape_group_by shape_full_join shape_group_keys shape_group_expressions shape_composite_keys shape_views shape_partitions shape_lateral shape_arrays shape_or shape_refresh_strategy shape_union shape_windows shape_recursive partitioned_models dml_kinds savepoints_nested cascades drop_refresh \
	lifecycle errors stats_debug strategy jsonb_patch soundness ddl_guard \
	timeouts manual_mode replicated read_your_writes change_feed versioned suspend_replay online_rebuild upgrade
REGRESS_OPTS = --inputdir=. --outputdir=.

# isolation specs (test/isolation/specs), one per lock path
ISOLATION = move_vs_rename manual_sync_writers suspend_resume_writers online_build_writers swap_vs_writer read_your_writes_writers repeatable_read_flush change_feed_notify rename_vs_insert_post comments_same_post \
	child_vs_parent_delete child_vs_parent_delete_nofk unrelated_writers \
	repeatable_read cascade_patch patch_lock_order create_vs_writer \
	drop_vs_writer equal_values_lock group_key_writers group_expression_writers group_parent_writers composite_key_writers \
	array_route_writers window_partition_writers grouped_patch_writers delta_writers refresh_stale_writer
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=test/isolation

# t/*.pl: TAP tests (PostgreSQL::Test::Cluster), each making its own
# throw-away clusters under tmp_check/.  `make test-tap` runs only these;
# test-regress and test-isolation switch them off (TAP_TESTS=).
TAP_TESTS = 1

PG_CONFIG ?= $(shell test -x /usr/lib/postgresql/15/bin/pg_config && echo /usr/lib/postgresql/15/bin/pg_config || echo pg_config)
PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers -Werror=implicit-function-declaration

# pg_config may be missing on a fresh machine; `make deps` installs it.
ifneq ($(shell command -v $(PG_CONFIG) 2>/dev/null),)
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
endif

# PGXS does not track header dependencies; every object includes these.
$(OBJS): $(wildcard src/*.h)

# initdb refuses to run as root: as root, prove (of `make test-tap` and the
# TAP part of `make installcheck`) runs as the postgres OS user.
ifeq ($(shell id -u),0)
PROVE = bash $(CURDIR)/test/tap-prove.sh
endif

# ---- developer targets (test/ scripts own the details) -------------------
.PHONY: deps demo test test-regress test-isolation test-tap test-pgtap test-security test-corpus test-cookbook test-fuzz fuzz test-difftest bench bench-deferred cluster-start cluster-stop cluster-status cluster-destroy

# READMODEL_PRELOAD=1 runs the private cluster with
# shared_preload_libraries='pg_readmodel' (e.g. `make test-regress READMODEL_PRELOAD=1`).
# TEST_PRELOAD_MODES lists the settings `make test` runs regress and isolation
# under ("0", "1" or "0 1"); it defaults to READMODEL_PRELOAD.
READMODEL_PRELOAD ?= 0
export READMODEL_PRELOAD

CLUSTER = bash test/cluster.sh

ifeq ($(PGXS),)
# Without pg_config there is no PGXS: say what to do instead of failing obscurely.
all install installcheck:
	@echo "pg_config not found ($(PG_CONFIG)): run 'make deps' first (make test and make demo do it)" >&2
	@exit 1
endif

deps:
	@bash test/deps.sh

# PGXS `make clean` does not know the isolation output directory.
clean: clean-isolation-output
.PHONY: clean-isolation-output
clean-isolation-output:
	rm -rf test/isolation/results test/isolation/regression.diffs test/isolation/regression.out

# deps, build, install, cluster, every suite, cluster stop, summary.
test:
	@MAKE='$(MAKE)' bash test/run-tests.sh

demo:
	@MAKE='$(MAKE)' bash test/demo.sh

# The test-* targets start the private cluster if it is not running and leave
# it running; `make cluster-stop` stops it.  They expect `make install` done.
test-regress:
	@$(CLUSTER) run $(MAKE) --no-print-directory installcheck TAP_TESTS=

test-isolation:
	@$(CLUSTER) run $(MAKE) --no-print-directory installcheck REGRESS= TAP_TESTS=

# The TAP tests only: PGXS's prove_installcheck (it recreates tmp_check/ and
# runs prove over t/*.pl, or PROVE_TESTS='t/001_crash_apply.pl ...'), without
# pg_regress and isolation.  The clusters are the tests' own, on ports they
# pick; the private cluster is not used.  As root, prove runs as the
# postgres OS user (PROVE above).
test-tap:
	@$(MAKE) --no-print-directory -s -C test/difftest difftest   # t/010 runs it, maybe as another OS user
	$(prove_installcheck)

test-pgtap:
	@bash test/pgtap.sh

# The security suite (test/security): every attack of test/security/README.md
# against real roles, each printing "blocked" or "SUCCEEDED".  security runs
# last (its attack 15d crashes a vulnerable server).  views_found holds the
# attacks on view sources that succeeded before they were fixed.
PG_REGRESS_BIN = $(dir $(PGXS))../../src/test/regress/pg_regress
SECURITY_TESTS ?= views views_found security
test-security:
	@$(CLUSTER) run $(PG_REGRESS_BIN) --inputdir=test/security --outputdir=test/security \
		--bindir=$(shell $(PG_CONFIG) --bindir) --user=postgres $(SECURITY_TESTS)

# Definitions in the shapes of other projects' tests (test/corpus): every
# accepted one exact by binary image, every decision as recorded.
test-corpus:
	@$(CLUSTER) run env CORPUS_CHECK=1 CORPUS_KEEP=0 bash test/corpus/run.sh

# The examples of docs/cookbook.md (test/cookbook/cookbook.sql): every
# accepted recipe exact after its writes, every refusal with the error the
# cookbook quotes.  COOKBOOK_VERBOSE=1 prints every check.
test-cookbook:
	@$(CLUSTER) run bash test/cookbook/run.sh

test-difftest:
	@if [ -f test/difftest/Makefile ]; then \
		$(CLUSTER) run $(MAKE) --no-print-directory -C test/difftest run; \
	else \
		echo "difftest: test/difftest/Makefile not present yet; skipping"; \
	fi

# The definition fuzzer (test/fuzz): random definitions over random
# schemas, each declared and, if accepted, compared with a fresh run by
# binary image after every transaction.  test-fuzz is the short pass `make
# test` runs (its self-test first); `make fuzz` a long one, e.g.
# make fuzz FUZZ_SEED=7 FUZZ_DEFS=5000 (or FUZZ_SECONDS=3600).
test-fuzz:
	@$(CLUSTER) run sh -c '$(MAKE) --no-print-directory -C test/fuzz selftest && $(MAKE) --no-print-directory -C test/fuzz run'

fuzz:
	@$(CLUSTER) run $(MAKE) --no-print-directory -C test/fuzz long

# The benchmark harness (docs/benchmarks.md): installs what is missing,
# builds, starts the private cluster, runs test/bench/bench.  Default scales
# 1,000 and 10,000 products; e.g. make bench BENCH_OPTS="--scales 1000,10000,100000".
BENCH_OPTS ?=
bench:
	@bash test/bench/run.sh --install $(BENCH_OPTS)

# Mode deferred's writer cost and lag (docs/benchmarks.md, "Mode deferred"),
# against the server PGHOST/PGPORT name, which must preload pg_readmodel
# with readmodel_deferred in readmodel.deferred_databases (the script says
# how otherwise); e.g. make bench-deferred BENCH_OPTS="--cpu --rounds 5".
bench-deferred:
	@bash test/bench/deferred.sh $(BENCH_OPTS)

cluster-start:
	@$(CLUSTER) start

cluster-stop:
	@$(CLUSTER) stop

cluster-status:
	@$(CLUSTER) status

cluster-destroy:
	@$(CLUSTER) destroy

# `make print-VAR` prints a make variable (used by test/run-tests.sh).
print-%:
	@echo '$($*)'
