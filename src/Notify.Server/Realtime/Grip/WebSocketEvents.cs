using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Notify.Server.Realtime.Grip;

/// <summary>One WebSocket-over-HTTP event: <c>OPEN</c>, <c>TEXT</c>, <c>BINARY</c>, <c>PING</c>, <c>PONG</c>,
/// <c>CLOSE</c> or <c>DISCONNECT</c>, with its content (empty when it has none).</summary>
public readonly record struct WebSocketEvent(string Type, ReadOnlyMemory<byte> Content)
{
    /// <summary>The close code of a <c>CLOSE</c> event (its first two bytes, big-endian), if it has one.</summary>
    public int? CloseCode => Type == "CLOSE" && Content.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Content.Span) : null;
}

/// <summary>
/// The body format of GRIP's WebSocket-over-HTTP (<c>Content-Type: application/websocket-events</c>): events one
/// after another, each <c>TYPE[ hex-length]\r\n</c> followed, when there is a length, by that many bytes of
/// content and <c>\r\n</c>. Content is bytes, so binary frames and UTF-8 text pass unchanged.
/// </summary>
public static class WebSocketEvents
{
    public const string ContentType = "application/websocket-events";

    /// <summary>Reads every event of a body; an empty body (a keep-alive) has none.</summary>
    /// <exception cref="FormatException">The body is not well-formed; the message says where.</exception>
    public static List<WebSocketEvent> Parse(ReadOnlyMemory<byte> body)
    {
        var events = new List<WebSocketEvent>();
        var span = body.Span;
        var pos = 0;
        while (pos < span.Length)
        {
            var end = span[pos..].IndexOf("\r\n"u8);
            if (end < 0) throw new FormatException($"Event at byte {pos} has no CRLF after its type.");
            var line = span.Slice(pos, end);
            pos += end + 2;
            var space = line.IndexOf((byte)' ');
            var type = Encoding.ASCII.GetString(space < 0 ? line : line[..space]);
            if (type.Length == 0 || !type.All(char.IsAsciiLetterUpper)) throw new FormatException($"Event at byte {pos - end - 2} has no type.");
            if (space < 0)
            {
                events.Add(new WebSocketEvent(type, ReadOnlyMemory<byte>.Empty));
                continue;
            }
            if (!int.TryParse(line[(space + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var length) || length < 0)
                throw new FormatException($"{type} event has a length that is not hexadecimal.");
            if (length > span.Length - pos - 2 || !span.Slice(pos + length, 2).SequenceEqual("\r\n"u8))
                throw new FormatException($"{type} event says {length} bytes but the body does not hold them followed by CRLF.");
            events.Add(new WebSocketEvent(type, body.Slice(pos, length)));
            pos += length + 2;
        }
        return events;
    }

    /// <summary>Appends an event without content (<c>OPEN\r\n</c>).</summary>
    public static void Write(IBufferWriter<byte> output, string type) => output.Write(Encoding.ASCII.GetBytes(type + "\r\n"));

    /// <summary>Appends an event with content; its length is written in hexadecimal.</summary>
    public static void Write(IBufferWriter<byte> output, string type, ReadOnlySpan<byte> content)
    {
        output.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{type} {content.Length:X}\r\n")));
        output.Write(content);
        output.Write("\r\n"u8);
    }

    /// <summary>Appends a <c>TEXT</c> event.</summary>
    public static void WriteText(IBufferWriter<byte> output, string text) => Write(output, "TEXT", Encoding.UTF8.GetBytes(text));

    /// <summary>Appends a <c>CLOSE</c> event with its code and reason.</summary>
    public static void WriteClose(IBufferWriter<byte> output, int code, string reason)
    {
        var reasonBytes = Encoding.UTF8.GetBytes(reason);
        var content = new byte[2 + reasonBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(content, (ushort)code);
        reasonBytes.CopyTo(content, 2);
        Write(output, "CLOSE", content);
    }
}
