using System.Text.Json.Nodes;
using Notify.Channels.Email;
using Notify.Engine.Model;
using static Notify.Channels.Tests.Email.EmailTestKit;

namespace Notify.Channels.Tests.Email;

public sealed class EmailTemplatesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("notify-templates-");

    public void Dispose() => _dir.Delete(true);

    private static EmailTemplates Templates(string? directory = null) => new(directory, TimeProvider.System);

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_dir.FullName, name), content);

    [Fact]
    public async Task RenderAsync_BuiltInTemplates_SubjectTextAndHtmlCarryTheNotification()
    {
        var rendered = await Templates().RenderAsync(Mail(Notification(title: "Ada mentioned you", body: "Line one\nLine two",
            data: new JsonObject { ["url"] = "https://app.example.com/cards/42" }, priority: Priority.High)));

        Assert.Equal("Ada mentioned you", rendered.Subject);
        Assert.StartsWith("Ada mentioned you\n\nLine one\nLine two\n\nOpen: https://app.example.com/cards/42\n", rendered.Text);
        Assert.Contains("mention notification was not seen", rendered.Text);
        Assert.Contains("<html lang=\"en-GB\">", rendered.Html);
        Assert.Contains("<title>Ada mentioned you</title>", rendered.Html);
        Assert.Contains(">Ada mentioned you</h1>", rendered.Html);
        Assert.Contains(">Line one&#xA;Line two</p>", rendered.Html); // a character reference; white-space:pre-wrap shows the break
        Assert.Contains("href=\"https://app.example.com/cards/42\"", rendered.Html);
        Assert.Contains(">Important</p>", rendered.Html);
        Assert.Contains("role=\"presentation\"", rendered.Html);
    }

    [Fact]
    public async Task RenderAsync_NoTitleNoBody_SubjectFallsBackToCategory()
    {
        var rendered = await Templates().RenderAsync(Mail(Notification(category: "card.assigned", title: null, body: null)));

        Assert.Equal("card.assigned", rendered.Subject);
        Assert.DoesNotContain("Open:", rendered.Text);
        Assert.DoesNotContain("<a href", rendered.Html);
        Assert.DoesNotContain(">Important<", rendered.Html);
    }

    [Fact]
    public async Task RenderAsync_MarkupInTitleBodyAndData_EncodedInHtml()
    {
        var rendered = await Templates().RenderAsync(Mail(Notification(
            title: "<script>alert(1)</script>", body: "Tom & \"Jerry\" <b>bold</b>",
            data: new JsonObject { ["url"] = "javascript:alert(1)" })));

        Assert.DoesNotContain("<script>", rendered.Html);
        Assert.DoesNotContain("<b>bold</b>", rendered.Html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", rendered.Html);
        Assert.Contains("Tom &amp; &quot;Jerry&quot; &lt;b&gt;bold&lt;/b&gt;", rendered.Html);
        Assert.DoesNotContain("javascript:", rendered.Html);
        // The text part is plain text: nothing to encode, shown as written.
        Assert.Contains("Tom & \"Jerry\" <b>bold</b>", rendered.Text);
    }

    [Fact]
    public async Task RenderAsync_OverrideTemplateUsingData_DataValuesEncodedInHtml()
    {
        Write("mention.html.liquid", "<p>{{ notification.data.project.name }} for {{ user.id }}</p>");

        var rendered = await Templates(_dir.FullName).RenderAsync(Mail(Notification(
            data: new JsonObject { ["project"] = new JsonObject { ["name"] = "<img src=x onerror=alert(1)>" } })));

        Assert.Equal("<p>&lt;img src=x onerror=alert(1)&gt; for u_grace</p>", rendered.Html);
    }

    [Fact]
    public async Task RenderAsync_NonAsciiText_KeptReadableInHtml()
    {
        var rendered = await Templates().RenderAsync(Mail(Notification(title: "Grüße aus Köln 👋", body: "café <ok>")));

        Assert.Contains(">Grüße aus Köln ", rendered.Html); // characters outside the BMP (emoji) stay character references
        Assert.Contains(">café &lt;ok&gt;</p>", rendered.Html);
    }

    [Fact]
    public async Task RenderAsync_LineBreakInTitle_SubjectIsOneLine()
    {
        var rendered = await Templates().RenderAsync(Mail(Notification(title: "First\r\nBcc: victim@example.org")));

        Assert.Equal("First Bcc: victim@example.org", rendered.Subject);
    }

    [Fact]
    public async Task RenderAsync_CategoryOverride_UsedPerPartWithDefaultFileAndBuiltInFallbacks()
    {
        Write("mention.subject.liquid", "[{{ notification.priority }}] {{ notification.title }} ({{ notification.data.count }})");
        Write("default.text.liquid", "default text for {{ notification.category }} in {{ user.locale }}");

        var templates = Templates(_dir.FullName);
        var mention = await templates.RenderAsync(Mail(Notification(category: "mention", data: new JsonObject { ["count"] = 3 })));
        var other = await templates.RenderAsync(Mail(Notification(category: "digest", title: "Weekly digest")));

        Assert.Equal("[normal] Ada mentioned you (3)", mention.Subject);
        Assert.Equal("default text for mention in en-GB\n", mention.Text);
        Assert.Contains(">Ada mentioned you</h1>", mention.Html);
        Assert.Equal("Weekly digest", other.Subject);
        Assert.Equal("default text for digest in en-GB\n", other.Text);
    }

    [Fact]
    public async Task RenderAsync_TemplateFileEdited_NextRenderUsesTheNewVersion()
    {
        var path = Path.Combine(_dir.FullName, "mention.subject.liquid");
        File.WriteAllText(path, "first {{ notification.id }}");
        var templates = Templates(_dir.FullName);
        var before = await templates.RenderAsync(Mail());

        File.WriteAllText(path, "second version {{ notification.id }}");
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(5));
        var after = await templates.RenderAsync(Mail());

        Assert.Equal("first ntf_01JB8X", before.Subject);
        Assert.Equal("second version ntf_01JB8X", after.Subject);
    }

    [Fact]
    public async Task RenderAsync_UnchangedFile_ParsedOnce()
    {
        Write("mention.subject.liquid", "cached");
        var templates = Templates(_dir.FullName);

        var first = templates.Resolve("mention", EmailTemplates.Part.Subject).Template;
        await templates.RenderAsync(Mail());
        var second = templates.Resolve("mention", EmailTemplates.Part.Subject).Template;

        Assert.Same(first, second);
    }

    [Fact]
    public async Task RenderAsync_BrokenTemplate_ThrowsWithFileAndLine()
    {
        Write("mention.html.liquid", "<p>ok</p>\n<p>still ok</p>\n{% for x in %}");

        var error = await Assert.ThrowsAsync<EmailTemplateException>(() => Templates(_dir.FullName).RenderAsync(Mail()).AsTask());

        Assert.Equal(Path.Combine(_dir.FullName, "mention.html.liquid"), error.File);
        Assert.Equal(3, error.Line);
        Assert.EndsWith("mention.html.liquid, line 3: Invalid 'for' tag at (3:7)", error.Message);
    }

    [Fact]
    public async Task RenderAsync_CategoryWithPathCharacters_NeverLeavesTheFolder()
    {
        Write("default.subject.liquid", "safe default");
        File.WriteAllText(Path.Combine(_dir.Parent!.FullName, "escape.subject.liquid"), "escaped");
        try
        {
            var rendered = await Templates(_dir.FullName).RenderAsync(Mail(Notification(category: "../escape")));

            Assert.Equal("safe default", rendered.Subject);
        }
        finally
        {
            File.Delete(Path.Combine(_dir.Parent!.FullName, "escape.subject.liquid"));
        }
    }
}
