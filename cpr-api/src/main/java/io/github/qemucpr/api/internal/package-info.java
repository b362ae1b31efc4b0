/** The save and restore state machines, the preflight, the manifest and state-file handling. */
@NullMarked
package io.github.qemucpr.api.internal;

import org.jspecify.annotations.NullMarked;
