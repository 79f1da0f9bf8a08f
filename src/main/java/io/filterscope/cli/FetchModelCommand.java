package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.model.fetch.Downloader;
import io.filterscope.model.fetch.KnownModel;
import io.filterscope.model.fetch.KnownModels;
import io.filterscope.model.fetch.ModelFetcher;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fetch-model NAME}: downloads a pretrained model into the models directory, verified against its
 * published hash, and writes its metadata; with no name or {@code --list}, lists the models it knows.
 */
@Command(name = "fetch-model", mixinStandardHelpOptions = true,
        description = "Downloads a pretrained model into the models folder, checking its published hash; with no name, lists them.")
final class FetchModelCommand implements Callable<Integer> {
    /** A mirror that serves every file under its published name, instead of the publishers' URLs. */
    static final String BASE_URL_ENV = "FILTERSCOPE_MODEL_BASE_URL";

    private final List<KnownModel> catalogue;

    @Parameters(paramLabel = "NAME", arity = "0..*", description = "the model to fetch (see --list)")
    List<String> names = List.of();

    @Option(names = "--list", description = "list the models it knows")
    boolean list;

    @Option(names = "--base-url", paramLabel = "URL", defaultValue = "${env:" + BASE_URL_ENV + "}",
            description = "a mirror serving every file under its published name (or " + BASE_URL_ENV + ")")
    String baseUrl;

    @Option(names = "--timeout", paramLabel = "S", description = "seconds to wait for a connection or data (default: ${DEFAULT-VALUE})")
    @Bounds(min = 1, max = 3600)
    int timeoutSeconds = (int) Downloader.DEFAULT_TIMEOUT.toSeconds();

    @Mixin
    ModelsDir models;

    /** With another catalogue than {@link KnownModels#ALL}: how the tests serve models whose hashes they know. */
    FetchModelCommand(List<KnownModel> catalogue) {
        this.catalogue = catalogue;
    }

    static int run(String[] args) throws Exception {
        return run(args, KnownModels.ALL);
    }

    static int run(String[] args, List<KnownModel> catalogue) throws Exception {
        return Cli.execute(new CommandLine(new FetchModelCommand(catalogue)), args);
    }

    @Override
    public Integer call() throws IOException {
        if (list || names.isEmpty()) {
            list(catalogue, models.dir());
            return 0;
        }
        if (names.size() > 1) {
            throw new UserError("fetch-model: one model at a time, got " + String.join(" ", names));
        }
        KnownModel model = KnownModels.byName(catalogue, names.get(0));
        String baseUrl = baseUrl(this.baseUrl);
        Duration timeout = Duration.ofSeconds(Cli.within("fetch-model", this, "--timeout", timeoutSeconds));
        List<ProgressBar> bars = new ArrayList<>();
        ModelFetcher fetcher = new ModelFetcher(models.dir(), baseUrl,
                new Downloader(timeout, timeout, System.out::println),
                () -> {
                    ProgressBar bar = ProgressBar.onStandardError();
                    bars.add(bar);
                    return bar;
                },
                System.out::println);
        try {
            fetcher.fetch(model);
        } finally {
            bars.forEach(ProgressBar::end);
        }
        return 0;
    }

    private static String baseUrl(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            URI uri = new URI(value.trim());
            if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
                throw new URISyntaxException(value, "not http(s)");
            }
            return value.trim();
        } catch (URISyntaxException e) {
            throw new UserError("fetch-model: --base-url (or " + BASE_URL_ENV + ") must be an http(s) URL, got '" + value + "'");
        }
    }

    private static void list(List<KnownModel> catalogue, Path dir) {
        System.out.println("fetch-model NAME downloads one of these into " + dir.toAbsolutePath().normalize() + " (--models DIR for another):");
        for (KnownModel m : catalogue) {
            System.out.printf("  %-11s %8s  %-19s %s%s%n", m.name(), "~" + Math.round(m.approxBytes() / 1e6) + " MB",
                    m.format().description, m.description(), m.name().equals(KnownModels.DEFAULT) ? " (suggested)" : "");
        }
    }
}
