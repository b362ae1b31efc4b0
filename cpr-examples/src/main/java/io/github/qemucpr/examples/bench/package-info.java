/**
 * The benchmarks that {@code scripts/bench.sh} runs and publishes as {@code docs/benchmarks.md}:
 * the blackout of a cpr-reboot cycle, state file sizes in place and copied, QMP speed, and the
 * tool's start-up, each measured side by side with a raw client that uses no SDK code. Not API.
 */
@NullMarked
package io.github.qemucpr.examples.bench;

import org.jspecify.annotations.NullMarked;
