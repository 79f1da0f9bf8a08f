package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.model.ModelStore;
import io.filterscope.model.tfjs.TfjsModel;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --models DIR}, shared by the commands that read models. Without it: {@code FILTERSCOPE_MODELS},
 * else the {@code models} folder beside the installed jar (a distribution's own), else {@code ./models}.
 */
final class ModelsDir {
    static final String ENV = "FILTERSCOPE_MODELS";

    @Option(names = "--models", paramLabel = "DIR",
            description = "the models folder (default: $" + ENV + ", else models/ beside the installed jar, else ./models)")
    Path explicit;

    /** Whether {@code --models} was given. */
    boolean given() {
        return explicit != null;
    }

    Path dir() {
        if (explicit != null) {
            return explicit;
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path beside = installDir().resolve("models");
        return Files.isDirectory(beside) ? beside : Path.of("models");
    }

    /**
     * The folder the models are read from, which must exist and hold at least one.
     * @throws UserError naming the folder (absent, or empty), or saying to give its parent when it is one TF.js model's own folder
     */
    ModelStore store() {
        if (TfjsModel.isModel(dir()) && Files.isDirectory(dir())) {
            Path parent = dir().toAbsolutePath().normalize().getParent();
            throw new UserError(dir().toAbsolutePath().normalize() + " is one TF.js model's folder (it holds model.json): give the folder "
                    + "that holds it, --models " + parent);
        }
        if (!Files.isDirectory(dir())) {
            throw new UserError("models folder " + dir().toAbsolutePath().normalize() + " does not exist (give --models DIR or set "
                    + ENV + ")");
        }
        ModelStore store = new ModelStore(dir());
        if (store.list().isEmpty()) {
            throw new UserError("no models in " + dir().toAbsolutePath().normalize() + " (give --models DIR or set " + ENV + ")");
        }
        return store;
    }

    /** Where the running jar is (the project's target/ folder for a build, or the distribution's folder). */
    private static Path installDir() {
        try {
            Path code = Path.of(ModelsDir.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return code.toAbsolutePath().getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("");
        }
    }
}
