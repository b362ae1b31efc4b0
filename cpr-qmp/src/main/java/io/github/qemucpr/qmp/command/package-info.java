/**
 * Typed QMP commands and their replies. Each command is an immutable record implementing {@link
 * io.github.qemucpr.qmp.QmpCommand}; decoding of replies is tolerant of fields and enum values that
 * a newer QEMU adds.
 */
@NullMarked
package io.github.qemucpr.qmp.command;

import org.jspecify.annotations.NullMarked;
