package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.PreflightItem.Severity;
import java.util.ArrayList;
import java.util.List;

/** What a preflight found, in the order found: the items its report lists. */
final class PreflightItems {

  private final List<PreflightItem> items = new ArrayList<>();

  /** The items, for checks that add to them directly. */
  List<PreflightItem> list() {
    return items;
  }

  /** Something that stops the operation. */
  void error(PreflightCode code, String subject, String message, String fix) {
    items.add(new PreflightItem(code, Severity.ERROR, subject, message, fix));
  }

  /** Something the operation survives, but the user should know. */
  void warning(PreflightCode code, String subject, String message, String fix) {
    items.add(new PreflightItem(code, Severity.WARNING, subject, message, fix));
  }
}
