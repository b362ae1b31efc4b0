/**
 * The JSON mapping of the generated QAPI surface ({@code io.github.qemucpr.qmp.qapi.*}), and the
 * generated index of event names. Not exported.
 */
@NullMarked
package io.github.qemucpr.qmp.internal.qapi;

import org.jspecify.annotations.NullMarked;
