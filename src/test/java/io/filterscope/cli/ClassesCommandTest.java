package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.preset.Presets;
import io.filterscope.image.PngFiles;
import io.filterscope.model.FixtureModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code classes}: what it refuses before rendering, and what its PNG records. */
class ClassesCommandTest {

    /**
     * classes renders every class at once at the model's own size: 4,096 classes of 512 px pictures are about 0.4 TB
     * by the estimate, refused in one line before anything is rendered or written.
     */
    @Test
    void moreClassesThanTheMemoryLeftTakesAreRefusedBeforeAnyIsRendered(@TempDir Path dir) throws Exception {
        FixtureModels.writeManyClasses(dir, "many", 512, 4096);
        CommandLine.Failure f = CommandLine.fail("classes", "--models", dir.toString(), "--model", "many", "--steps", "1",
                "--out", dir.resolve("big.png").toString());
        assertTrue(f.message().startsWith("classes: a minibatch of 4096 images at 512 px needs about ")
                && f.message().endsWith(" it may take here: classes renders all of the model's classes at once, at its own size"),
                f.message());
        assertEquals("", f.printed());
        assertFalse(Files.exists(dir.resolve("big.png")));
    }

    /** A model without a learned prior renders classes' default, data-prior, as natural: its PNG says natural, for rerun. */
    @Test
    void aModelWithoutAPriorRecordsTheNaturalItsDataPriorRendered(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Path png = dir.resolve("classes.png");
        CommandLine.run("classes", "--models", dir.toString(), "--model", "tiny", "--steps", "2", "--out", png.toString());
        Map<String, String> text = PngFiles.readText(png);
        assertEquals("natural", text.get("filterscope:preset"));
        assertEquals(Presets.NATURAL.defaults().toJson().toString(), text.get("filterscope:params"));
        assertTrue(text.get(CommandSupport.COMMAND_KEY).contains("\"--preset\",\"natural\""), text.get(CommandSupport.COMMAND_KEY));
    }
}
