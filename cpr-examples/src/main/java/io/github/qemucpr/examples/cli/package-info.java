/**
 * The {@code cpr} command-line tool ({@code java -jar cpr-examples/target/cpr.jar}): {@link
 * io.github.qemucpr.examples.cli.Main} and one class per subcommand ({@code status}, {@code check},
 * {@code save}, {@code restore}, {@code demo}). Progress goes to stderr, the final report to stdout
 * as text or, with {@code --json}, as one JSON object; {@link
 * io.github.qemucpr.examples.cli.ExitStatus} lists the exit codes.
 */
@NullMarked
package io.github.qemucpr.examples.cli;

import org.jspecify.annotations.NullMarked;
