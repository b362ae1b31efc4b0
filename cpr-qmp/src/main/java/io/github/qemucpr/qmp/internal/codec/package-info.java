/**
 * The QMP codec: how the typed surface ({@code command}, {@code event}) is read from and written to
 * QMP's JSON. The greeting, replies, errors and events decode here, and the open enums
 * (de)serialize here. The protocol engine ({@code internal.protocol}) uses it; it uses nothing of
 * the protocol, so the typed surface can be tested, fuzzed or generated without a connection. Not
 * exported.
 */
@NullMarked
package io.github.qemucpr.qmp.internal.codec;

import org.jspecify.annotations.NullMarked;
