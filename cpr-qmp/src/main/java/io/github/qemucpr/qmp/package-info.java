/**
 * The QMP client: {@link io.github.qemucpr.qmp.QmpClient}, its builder, the greeting, and the
 * exception hierarchy rooted at {@link io.github.qemucpr.qmp.QmpException}.
 */
@NullMarked
package io.github.qemucpr.qmp;

import org.jspecify.annotations.NullMarked;
