package io.filterscope.server.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The README's picture of the explorer page, docs/images/explorer.png, made here: the page opened on the bundled
 * models as it opens for anyone (emoji-cnn, listed first, at its metadata's default view: conv5 filter 49 with the
 * filters' default preset, data-prior), a run of the default steps finished at full speed, and one of emoji-cnn's
 * example pictures explained with Grad-CAM, in headless Chromium at its 1400x1000 window. A page that opens elsewhere
 * fails here rather than leave the README showing it.
 */
class ExplorerPictureTest {
    @TempDir
    Path models;

    @Test
    void theDefaultViewAfterAFinishedRunAndAnExampleExplainedWithGradCamIsTheReadmesPicture() throws Exception {
        try (var bundled = Files.newDirectoryStream(Path.of("models"), "emoji-cnn*")) {
            for (Path f : bundled) {
                Files.copy(f, models.resolve(f.getFileName()));
            }
        }
        FilterScopeServer server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        WebDriver browser = ExplorerPageTest.chromium();
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(120));
            browser.get("http://127.0.0.1:" + server.port() + "/");
            wait.until(d -> new Select(d.findElement(By.id("layer"))).getOptions().size() > 0
                    && !d.findElements(By.cssSelector("#params fieldset")).isEmpty());
            assertEquals("emoji-cnn", new Select(browser.findElement(By.id("model"))).getFirstSelectedOption().getAttribute("value"));
            assertEquals("conv5", new Select(browser.findElement(By.id("layer"))).getFirstSelectedOption().getAttribute("value"));
            assertEquals("49", browser.findElement(By.id("filter")).getAttribute("value"));
            assertEquals("data-prior", new Select(browser.findElement(By.id("preset"))).getFirstSelectedOption().getAttribute("value"));

            ((JavascriptExecutor) browser).executeScript(
                    "const s = document.getElementById('pace'); s.value = '0'; s.dispatchEvent(new Event('input'));");
            browser.findElement(By.id("start")).click();
            wait.until(d -> d.findElement(By.id("status")).getText().contains("run completed"));
            assertEquals(browser.findElement(By.id("steps")).getAttribute("value"), browser.findElement(By.id("step")).getText());

            browser.findElement(By.id("show-examples")).click();
            wait.until(d -> !d.findElements(By.cssSelector("#example-picker button.tile")).isEmpty());
            browser.findElements(By.cssSelector("#example-picker button.tile")).get(0).click();
            wait.until(d -> d.findElements(By.cssSelector("#predictions li")).size() == 5
                    && d.findElement(By.id("attr-caption")).getText().contains("Grad-CAM")
                    && d.findElement(By.id("attr-heat")).getAttribute("src").startsWith("data:image/png;base64,")
                    && !d.findElements(By.cssSelector("#maps img[src^='data:image/png']")).isEmpty());
            // The page settles when every map is in and the status says so (it says "computing activation maps…" until then).
            wait.until(d -> d.findElement(By.id("status")).getText().matches("\\d+ maps of conv5, strongest first"));
            assertEquals(browser.findElements(By.cssSelector("#maps img")).size(),
                    browser.findElements(By.cssSelector("#maps img[src^='data:image/png']")).size(), "every activation map is shown");
            ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0);");
            Path dir = Path.of("docs", "images");
            Files.createDirectories(dir);
            Path png = Files.write(dir.resolve("explorer.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            assertTrue(Files.size(png) > 10_000, "a screenshot of the page: " + Files.size(png) + " bytes");
        } finally {
            browser.quit();
            server.closeAndWait();
        }
    }
}
