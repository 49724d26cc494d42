using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace Notify.Storage.MongoDb.Tests;

/// <summary>Renders what the store sends through the driver's own serializers, as the driver would send it.</summary>
internal static class Bson
{
    static Bson() => BsonMaps.Register();

    public static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123);
    public const string T0Iso = "2026-09-21T14:13:20.123Z";

    private static RenderArgs<T> Args<T>() => new(BsonSerializer.LookupSerializer<T>(), BsonSerializer.SerializerRegistry);

    public static BsonDocument Render<T>(FilterDefinition<T> filter) => filter.Render(Args<T>());

    public static BsonDocument Render<T>(UpdateDefinition<T> update) => update.Render(Args<T>()).AsBsonDocument;

    public static BsonDocument Render<T>(SortDefinition<T> sort) => sort.Render(Args<T>());

    public static BsonDocument Render<T>(ProjectionDefinition<T> projection) => projection.Render(Args<T>());

    public static BsonDocument Render(ArrayFilterDefinition filter) => filter.Render(null, BsonSerializer.SerializerRegistry);

    public static BsonDocument ToBson<T>(T value) => value.ToBsonDocument(BsonSerializer.LookupSerializer<T>());

    public static T FromBson<T>(BsonDocument document) => BsonSerializer.Deserialize<T>(document);

    /// <summary>Parses the expected document (shell syntax: ISODate, NumberLong) and compares, showing both on failure.</summary>
    public static void Equal(string expected, BsonDocument actual)
    {
        var want = BsonDocument.Parse(expected);
        var settings = new JsonWriterSettings { OutputMode = JsonOutputMode.Shell };
        Assert.True(want.Equals(actual), $"expected\n{want.ToJson(settings)}\nbut was\n{actual.ToJson(settings)}");
    }
}
