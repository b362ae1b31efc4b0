package io.github.qemucpr.examples.cli;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.MemoryBackend;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationParameters;
import io.github.qemucpr.qmp.command.ObjectPropertyInfo;
import io.github.qemucpr.qmp.command.QomGet;
import io.github.qemucpr.qmp.command.QomList;
import io.github.qemucpr.qmp.command.QueryMemdev;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.QueryVersion;
import io.github.qemucpr.qmp.command.RunStatus;
import io.github.qemucpr.qmp.command.VersionInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code cpr status}: what a QEMU is, and what state its VM and migration are in. Changes nothing.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Show QEMU's version, run state, migration and memory backends.",
    footer = "",
    description = {
      "Show QEMU's version, the VM's run state, the migration status and mode, and the memory"
          + " backends with their share flag. Changes nothing.",
      "",
      "Example: cpr status --qmp /run/vm1/qmp.sock"
    },
    exitCodeListHeading = ExitStatus.HEADING,
    exitCodeList = {ExitStatus.LIST_0, ExitStatus.LIST_1, ExitStatus.LIST_2})
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions.Qmp qmp = new CommonOptions.Qmp();
  @Mixin CommonOptions.Json json = new CommonOptions.Json();

  @Override
  public Integer call() {
    Report report =
        new Report("status", json.json, spec.commandLine().getOut(), spec.commandLine().getErr())
            .target(qmp.socket, null);
    try (QmpClient client = Connections.qmp(qmp.socket)) {
      report.step("connected to " + client.describePeer());
      VersionInfo version = client.execute(new QueryVersion());
      RunStatus status = client.execute(new QueryStatus());
      MigrationInfo migration = client.execute(new QueryMigrate());
      MigrationParameters parameters = client.execute(new QueryMigrateParameters());
      List<MemoryBackend> backends = client.execute(new QueryMemdev());
      Map<String, String> types = backendTypes(client);

      ObjectNode result = Report.object();
      result.put("socket", qmp.socket.toString());
      result.put("qemuVersion", version.qemu().toString());
      result.put("qemuPackage", version.packageName());
      result.put("runState", status.status().toString());
      result.put("running", status.running());
      ObjectNode m = result.putObject("migration");
      m.put("status", migration.status().toString());
      m.put("mode", parameters.mode() != null ? parameters.mode().toString() : null);
      m.put("errorDesc", migration.errorDesc());
      ArrayNode blocked = m.putArray("blockedReasons");
      migration.blockedReasons().forEach(blocked::add);
      ArrayNode memory = result.putArray("memoryBackends");

      StringBuilder text = new StringBuilder();
      text.append(
          String.format(
              Locale.ROOT,
              "QEMU        %s%s%n",
              version.qemu(),
              version.packageName().isEmpty() ? "" : " (" + version.packageName() + ")"));
      text.append(String.format(Locale.ROOT, "run state   %s%n", status.status()));
      text.append(
          String.format(
              Locale.ROOT,
              "migration   %s, mode %s%s%n",
              migration.status(),
              parameters.mode() != null ? parameters.mode() : "unknown",
              migration.errorDesc() != null ? ", error: " + migration.errorDesc() : ""));
      if (backends.isEmpty()) {
        text.append(
            String.format(
                "memory      no memory backends (-m without memory-backend:"
                    + " cpr-reboot copies RAM into the state file)%n"));
      }
      for (MemoryBackend b : backends) {
        String id = b.id() != null ? b.id() : "?";
        String type = types.get(id);
        String memPath = "memory-backend-file".equals(type) ? memPath(client, id) : null;
        ObjectNode j = memory.addObject();
        j.put("id", id);
        j.put("type", type);
        j.put("sizeBytes", b.size());
        j.put("share", b.share());
        j.put("memPath", memPath);
        text.append(
            String.format(
                Locale.ROOT,
                "memory      %s  %d MiB  %s  share=%s%s%n",
                id,
                b.size() >> 20,
                type != null ? type : "memory-backend",
                b.share() ? "on" : "off",
                memPath != null ? "  " + memPath : ""));
      }
      return report.success(result, text.toString().stripTrailing());
    } catch (RuntimeException e) {
      return report.failure(e);
    }
  }

  /** The QOM type of each object under /objects, such as {@code memory-backend-file}. */
  private static Map<String, String> backendTypes(QmpClient client) {
    Map<String, String> types = new HashMap<>();
    try {
      for (ObjectPropertyInfo p : client.execute(new QomList("/objects"))) {
        if (p.isChild()) {
          types.put(p.name(), p.type().substring("child<".length(), p.type().length() - 1));
        }
      }
    } catch (QmpException e) {
      // the types are a courtesy: leave them out
    }
    return types;
  }

  private static @Nullable String memPath(QmpClient client, String id) {
    try {
      JsonNode path = client.execute(new QomGet("/objects/" + id, "mem-path"));
      return path.isString() ? path.asString() : path.toString();
    } catch (QmpException e) {
      return null;
    }
  }
}
