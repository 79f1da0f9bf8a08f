package io.filterscope.server.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.ServerConfig;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page as a teacher uses it, in real headless Chromium: a paced run scrubbed back to step 1 and exported as
 * a GIF, presentation mode at projector sizes, an uploaded image explained (input view, top 5, Grad-CAM), a
 * tooltip on every control, and class names from a model file shown as text, never run as markup. The
 * screenshots the README shows are written to docs/images/ by these tests.
 */
class ClassroomPageTest {
    /** A class name that would run script if a page inserted it as HTML. */
    static final String MARKUP_LABEL = "<img src=x onerror=\"window.pwned=1\">Bag";

    @TempDir
    static Path models;
    /** The pictures the tests upload and save. */
    @TempDir
    static Path files;
    static FilterScopeServer server;
    static String url;
    WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        // The bundled Fashion-MNIST model, so the screenshots show what a class sees; listed first, the page opens with it.
        try (var bundled = Files.newDirectoryStream(Path.of("models"), "fashion-cnn*")) {
            for (Path f : bundled) {
                Files.copy(f, models.resolve(f.getFileName()));
            }
        }
        FixtureModels.writeLeNet(models, "zz-markup", List.of("T-shirt", "Trouser", MARKUP_LABEL, "Sneaker", "Coat", "Shirt"));
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        url = "http://127.0.0.1:" + server.port() + "/";
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
    }

    @BeforeEach
    void open() throws IOException {
        browser = ExplorerPageTest.chromium();
    }

    @AfterEach
    void close() {
        browser.quit();
    }

    private static WebDriverWait waitFor(WebDriver browser) {
        return new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    private void load() {
        browser.get(url);
        waitFor(browser).until(d -> new Select(d.findElement(By.id("layer"))).getOptions().size() > 0
                && !d.findElements(By.cssSelector("#params fieldset")).isEmpty());
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private void setRange(String id, String value) {
        js("const s = document.getElementById(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('input'));", id, value);
    }

    private void start(int steps, int pace) {
        browser.findElement(By.id("steps")).clear();
        browser.findElement(By.id("steps")).sendKeys(String.valueOf(steps));
        setRange("pace", String.valueOf(pace));
        browser.findElement(By.id("start")).click();
    }

    /** Saves what the browser shows to docs/images/NAME.png, for the README. */
    private void screenshot(String name) throws IOException {
        Path dir = Path.of("docs", "images");
        Files.createDirectories(dir);
        Files.write(dir.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void aPacedRunCanBeScrubbedBackToStepOneSavedAsAPngWithItsSettingsAndExportedAsAGifOfEveryStep() throws Exception {
        load();
        viewport(new Dimension(1366, 900));
        long began = System.nanoTime();
        start(40, 20);
        waitFor(browser).until(d -> text("status").contains("run completed"));
        double seconds = (System.nanoTime() - began) / 1e9;
        // 40 steps at 20 a second take at least 39 intervals, 1.95 s (at full speed this model takes well under 0.5 s).
        assertTrue(seconds >= 1.9, "a run paced at 20 steps/s took " + seconds + " s for 40 steps");
        double shownRate = Double.parseDouble(text("rate"));
        assertTrue(shownRate > 5 && shownRate < 26, "steps/s shown: " + shownRate);
        assertEquals("40", text("step"));

        setRange("scrubber", "0");
        assertEquals("1", text("step"), "the timeline goes back to step 1");
        assertTrue(text("scrub-step").startsWith("step 1 "), text("scrub-step"));
        setRange("scrubber", "20");
        assertEquals("21", text("step"));
        screenshot("timeline");

        // Save PNG: the step shown, as a PNG that records the run's start message (read back with our own reader).
        String saved = (String) ((JavascriptExecutor) browser).executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "shownPng().then((s) => s.png.arrayBuffer()).then((b) => {"
                + "  let bin = ''; new Uint8Array(b).forEach((x) => { bin += String.fromCharCode(x); }); done(btoa(bin)); });");
        Path png = Files.write(Files.createTempFile(files, "shown", ".png"), java.util.Base64.getDecoder().decode(saved));
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 0, "the saved PNG decodes");
        com.fasterxml.jackson.databind.JsonNode settings = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(io.filterscope.image.PngFiles.readText(png).get("filterscope:start"));
        Files.delete(png);
        assertEquals(21, settings.get("step").asInt(), "the step shown");
        assertEquals(40, settings.get("steps").asInt());
        assertEquals(20, settings.get("pace").asInt());
        assertTrue(settings.hasNonNull("model") && settings.hasNonNull("objective"), settings.toString());

        String href = browser.findElement(By.id("export-gif")).getAttribute("href");
        HttpResponse<byte[]> gif = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(href)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, gif.statusCode());
        assertEquals("image/gif", gif.headers().firstValue("content-type").orElse(""));
        assertEquals(40, io.filterscope.image.Gifs.frames(gif.body()), "one GIF frame per step");
        BufferedImage first = ImageIO.read(new ByteArrayInputStream(gif.body()));
        assertTrue(first.getHeight() >= 256, "scaled up for a projector: " + first.getHeight());
    }


    @Test
    void presentationModeShowsABigLiveImageWithoutHorizontalScrollAtProjectorSizes() throws IOException {
        load();
        browser.findElement(By.id("class-gallery")).click();
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#gallery-grid img[src^='blob:']")).size() == 10);
        waitFor(browser).until(d -> text("status").contains("gallery completed"));
        start(100000, 30);
        waitFor(browser).until(d -> Integer.parseInt(text("step")) > 3);
        for (Dimension size : List.of(new Dimension(1920, 1080), new Dimension(1024, 768))) {
            viewport(size);
            assertFalse(horizontalScroll(), "the page scrolls sideways at " + size);
            new Actions(browser).sendKeys("p").perform(); // the page's key for presentation mode
            waitFor(browser).until(d -> (Boolean) js("return document.body.classList.contains('presenting')"));
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) js("const r = document.getElementById('live-image').getBoundingClientRect();"
                    + "return {h: r.height, vh: window.innerHeight, bottom: r.bottom};");
            double share = ((Number) m.get("h")).doubleValue() / ((Number) m.get("vh")).doubleValue();
            assertTrue(share >= 0.4, "live image is " + share + " of the viewport's height at " + size);
            assertTrue(((Number) m.get("bottom")).doubleValue() <= ((Number) m.get("vh")).doubleValue() + 1,
                    "the live image fits the screen at " + size);
            assertFalse(horizontalScroll(), "presentation scrolls sideways at " + size);
            screenshot("present-" + size.getWidth() + "x" + size.getHeight());
            browser.findElement(By.id("present")).click();
            waitFor(browser).until(d -> !(Boolean) js("return document.body.classList.contains('presenting')"));
        }
        browser.findElement(By.id("stop")).click();
        waitFor(browser).until(d -> text("status").contains("run stopped"));
    }

    /** Sizes the window so that the page itself (the viewport, without the window's frame) is {@code size}. */
    private void viewport(Dimension size) {
        browser.manage().window().setSize(size);
        @SuppressWarnings("unchecked")
        Map<String, Object> inner = (Map<String, Object>) js("return {w: window.innerWidth, h: window.innerHeight};");
        browser.manage().window().setSize(new Dimension(2 * size.getWidth() - ((Number) inner.get("w")).intValue(),
                2 * size.getHeight() - ((Number) inner.get("h")).intValue()));
        waitFor(browser).until(d -> (Boolean) js("return window.innerWidth === arguments[0] && window.innerHeight === arguments[1];",
                size.getWidth(), size.getHeight()));
    }

    private boolean horizontalScroll() {
        return (Boolean) js("return document.documentElement.scrollWidth > document.documentElement.clientWidth");
    }

    @Test
    void anUploadShowsTheModelsInputItsTopFiveAndAGradCamOverlayWithLabelsAsText() throws IOException {
        load();
        viewport(new Dimension(1920, 1080));
        // One of fashion-cnn's own test images (a sandal, its example 3), as a user's upload.
        browser.findElement(By.id("show-examples")).click();
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#example-picker button.tile")).size() == 12);
        browser.findElements(By.cssSelector("#example-picker button.tile")).get(3).click();
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#predictions li")).size() == 5);
        assertTrue(browser.findElement(By.id("input-view")).getAttribute("src").startsWith("data:image/png;base64,"));
        assertTrue(browser.findElement(By.id("uploaded-view")).getAttribute("src").startsWith("blob:"));
        assertTrue(browser.findElement(By.id("attr-heat")).getAttribute("src").startsWith("data:image/png;base64,"));
        assertTrue(browser.findElement(By.id("attr-heat")).isDisplayed());
        assertTrue(text("attr-caption").contains("Grad-CAM"), text("attr-caption"));
        // Grad-CAM's layer choices are the layers the server marks readable: fashion-cnn's maps, not its dense layers.
        List<String> camLayers = new Select(browser.findElement(By.id("attr-layer"))).getOptions().stream()
                .map(o -> o.getAttribute("value")).toList();
        assertTrue(camLayers.contains("conv4") && !camLayers.contains("output"), camLayers.toString());
        setRange("attr-opacity", "0.8");
        assertEquals("0.8", browser.findElement(By.id("attr-heat")).getCssValue("opacity"));
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#maps img[src^='data:image/png']")).size() >= 32);
        screenshot("explain");

        // A user's own file, on a model whose class names hold markup.
        new Select(browser.findElement(By.id("model"))).selectByValue("zz-markup");
        waitFor(browser).until(d -> browser.findElement(By.id("explain")).getAttribute("hidden") != null);
        Path image = Files.createTempFile(files, "upload", ".png");
        BufferedImage img = new BufferedImage(60, 40, BufferedImage.TYPE_INT_RGB);
        img.getGraphics().fillOval(10, 5, 30, 30);
        ImageIO.write(img, "png", image.toFile());
        browser.findElement(By.id("upload")).sendKeys(image.toAbsolutePath().toString());
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#predictions li")).size() == 5
                && text("attr-caption").contains("conv4"));

        // Explaining the class whose name is markup: its name is shown as text, and nothing it holds ran.
        new Select(browser.findElement(By.id("attr-class"))).selectByValue("2");
        waitFor(browser).until(d -> text("attr-caption").contains(MARKUP_LABEL));
        assertTrue(text("predictions").contains(MARKUP_LABEL), text("predictions"));
        assertTrue(browser.findElements(By.cssSelector("#predictions img, #attr-caption img")).isEmpty(), "no element made from a label");
        new Select(browser.findElement(By.id("objective"))).selectByValue("class");
        assertTrue(new Select(browser.findElement(By.id("class"))).getOptions().get(2).getText().contains(MARKUP_LABEL));
        browser.findElement(By.id("class-gallery")).click();
        waitFor(browser).until(d -> text("gallery-grid").contains(MARKUP_LABEL));
        assertEquals(null, js("return window.pwned"), "a class name ran script");
    }

    @Test
    void everyControlHasATooltipAndAFirstVisitGetsAStartHereHint() {
        load();
        assertTrue(text("hint").startsWith("Start here"), text("hint"));
        assertTrue(browser.findElement(By.id("live-placeholder")).isDisplayed(), "a placeholder, not a broken image, before the first frame");
        @SuppressWarnings("unchecked")
        List<String> bare = (List<String>) js("return [...document.querySelectorAll('input, select, button, a.button')]"
                + ".filter(e => !(e.title || (e.closest('label') && e.closest('label').title)))"
                + ".map(e => e.id || e.outerHTML.slice(0, 80));");
        assertEquals(List.of(), bare, "controls without a tooltip");
        long controls = (Long) js("return document.querySelectorAll('input, select, button').length");
        assertTrue(controls > 30, "the settings' controls were built: " + controls);
    }
}
