/*
 * testlib.c — helpers shared by the Criterion unit tests (tests/unit/);
 * linked into every test_*.c. Empty until a helper is shared.
 */
