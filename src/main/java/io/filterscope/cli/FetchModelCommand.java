package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.model.fetch.Downloader;
import io.filterscope.model.fetch.KnownModel;
import io.filterscope.model.fetch.KnownModels;
import io.filterscope.model.fetch.ModelFetcher;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code fetch-model NAME}: downloads a pretrained model into the models directory, verified against its
 * published hash, and writes its metadata; with no name or {@code --list}, lists the models it knows.
 */
final class FetchModelCommand {
    /** A mirror that serves every file under its published name, instead of the publishers' URLs. */
    static final String BASE_URL_ENV = "FILTERSCOPE_MODEL_BASE_URL";

    private FetchModelCommand() {
    }

    static int run(String[] args) throws IOException {
        return run(args, KnownModels.ALL);
    }

    /** With another catalogue than {@link KnownModels#ALL}: how the tests serve models whose hashes they know. */
    static int run(String[] args, List<KnownModel> catalogue) throws IOException {
        Flags flags = Flags.parse("fetch-model", args, Set.of("models", "base-url", "timeout"), Set.of("list"));
        List<String> names = flags.positional();
        if (flags.isSet("list") || names.isEmpty()) {
            list(catalogue);
            return 0;
        }
        if (names.size() > 1) {
            throw new UserError("fetch-model: one model at a time, got " + String.join(" ", names));
        }
        KnownModel model = KnownModels.byName(catalogue, names.get(0));
        String baseUrl = baseUrl(flags.string("base-url", System.getenv(BASE_URL_ENV)));
        Duration timeout = Duration.ofSeconds(flags.integer("timeout", (int) Downloader.DEFAULT_TIMEOUT.toSeconds(), 1, 3600));
        List<ProgressBar> bars = new ArrayList<>();
        ModelFetcher fetcher = new ModelFetcher(flags.path("models", "models"), baseUrl,
                new Downloader(timeout, timeout, System.out::println),
                () -> {
                    ProgressBar bar = new ProgressBar(System.err);
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

    private static void list(List<KnownModel> catalogue) {
        System.out.println("fetch-model NAME downloads one of these into the models directory (--models, default models):");
        for (KnownModel m : catalogue) {
            System.out.printf("  %-11s %8s  %-19s %s%s%n", m.name(), "~" + Math.round(m.approxBytes() / 1e6) + " MB",
                    m.format().description, m.description(), m.name().equals(KnownModels.DEFAULT) ? " (suggested)" : "");
        }
    }
}
