using System.Buffers;
using System.Text;
using Notify.Server.Realtime.Grip;

namespace Notify.Server.Tests.Realtime.Grip;

public class WebSocketEventsTests
{
    [Fact]
    public void Parse_SeveralEventsWithHexLengths_ReadsEachTypeAndContent()
    {
        var text = "{\"type\":\"ping\",\"pad\":\"abcdefghij\"}"; // 34 bytes = 0x22
        var body = Encoding.UTF8.GetBytes($"OPEN\r\nTEXT 22\r\n{text}\r\nPING\r\n");

        var events = WebSocketEvents.Parse(body);

        Assert.Equal(["OPEN", "TEXT", "PING"], events.Select(e => e.Type));
        Assert.Equal(text, Encoding.UTF8.GetString(events[1].Content.Span));
        Assert.True(events[0].Content.IsEmpty);
    }

    [Fact]
    public void Parse_ContentWithCrLfZeroBytesAndMultiByteUtf8_IsBinarySafe()
    {
        byte[] content = [0x00, 0x0D, 0x0A, 0xFF, .. Encoding.UTF8.GetBytes("é€\r\n")];
        var output = new ArrayBufferWriter<byte>();
        WebSocketEvents.Write(output, "BINARY", content);
        WebSocketEvents.Write(output, "TEXT", Encoding.UTF8.GetBytes("é"));

        var events = WebSocketEvents.Parse(output.WrittenMemory);

        Assert.Equal(content, events[0].Content.ToArray());
        Assert.Equal("é", Encoding.UTF8.GetString(events[1].Content.Span));
        Assert.StartsWith($"BINARY {content.Length:X}\r\n", Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Write_LengthAboveNine_IsHexadecimal()
    {
        var output = new ArrayBufferWriter<byte>();
        WebSocketEvents.WriteText(output, new string('x', 300));
        Assert.StartsWith("TEXT 12C\r\n", Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Parse_EmptyBody_HasNoEvents()
    {
        Assert.Empty(WebSocketEvents.Parse(ReadOnlyMemory<byte>.Empty));
    }

    [Fact]
    public void WriteClose_CodeAndReason_ReadBackAsCloseCode()
    {
        var output = new ArrayBufferWriter<byte>();
        WebSocketEvents.WriteClose(output, 1008, "no heartbeat");

        var close = Assert.Single(WebSocketEvents.Parse(output.WrittenMemory));

        Assert.Equal(1008, close.CloseCode);
        Assert.Equal("no heartbeat", Encoding.UTF8.GetString(close.Content.Span[2..]));
    }

    [Theory]
    [InlineData("TEXT 10\r\nshort\r\n")]
    [InlineData("TEXT zz\r\nabc\r\n")]
    [InlineData("TEXT 3\r\nabcd\r\n")]
    [InlineData("OPEN")]
    [InlineData("\r\n")]
    public void Parse_Malformed_ThrowsFormatException(string body)
    {
        Assert.Throws<FormatException>(() => WebSocketEvents.Parse(Encoding.ASCII.GetBytes(body)));
    }
}
