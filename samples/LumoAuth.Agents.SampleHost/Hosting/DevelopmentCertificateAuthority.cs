using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LumoAuth.Agents.SampleHost.Hosting;

/// <summary>
/// FOR LOCAL TRIALS ONLY: a certificate authority kept in the sample's data folder, which the token server trusts for
/// client ID metadata documents. MCP clients name their document by an https URL, and a demo on one machine has no
/// publicly trusted certificate: the sample agent reads this file and issues itself a certificate from it to serve its document. A
/// real deployment trusts the system's roots and nothing else.
/// </summary>
public static class DevelopmentCertificateAuthority
{
    /// <summary>The file in the data folder: the CA's certificate and private key (PKCS #12, no password).</summary>
    public const string FileName = "dev-ca.pfx";

    /// <summary>The CA of <paramref name="dataDirectory"/>, made on first use.</summary>
    public static X509Certificate2 LoadOrCreate(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, null, X509KeyStorageFlags.Exportable);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=LumoAuth.Agents sample development CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllBytes(path, authority.Export(X509ContentType.Pfx));
        return X509CertificateLoader.LoadPkcs12FromFile(path, null, X509KeyStorageFlags.Exportable);
    }
}
