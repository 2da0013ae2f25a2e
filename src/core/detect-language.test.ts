import { describe, expect, it } from 'vitest';
import { detectLanguage } from './detect-language.js';

const chunks = (...texts: string[]) => texts.map((text) => ({ text }));

describe('detectLanguage', () => {
  it('names the language of the text by its two-letter code', () => {
    expect(detectLanguage(chunks('The package manager installs files into the home directory of each user.'))).toBe(
      'en',
    );
    expect(
      detectLanguage(chunks('Der Paketmanager installiert Dateien in das Home-Verzeichnis jedes Benutzers.')),
    ).toBe('de');
    expect(
      detectLanguage(chunks('Le gestionnaire de paquets installe les fichiers dans le répertoire personnel.')),
    ).toBe('fr');
    expect(detectLanguage(chunks('ホームディレクトリにファイルを置きます。パッケージ管理者は設定を変更します。'))).toBe(
      'ja',
    );
  });

  it('gives Mandarin its macrolanguage code, as people filter for it', () => {
    expect(detectLanguage(chunks('软件包管理器可以安装家目录中的文件，管理员可以修改系统的配置。'))).toBe('zh');
  });

  it('knows nothing from too little text', () => {
    expect(detectLanguage(chunks('ok'))).toBeNull();
    expect(detectLanguage([])).toBeNull();
  });

  it('reads the middle of each chunk, so what opens every chunk (an English paragraph, a repeated overlap) does not decide', () => {
    const english = 'IPv6, successor to IPv4, is a newer version of the IP protocol designed to fix its flaws. '.repeat(
      6,
    );
    const german =
      'Das IPv6-Netzwerk wird ähnlich wie IPv4 konfiguriert. Wenn dieses Netzwerk global verfügbar sein soll, brauchen Sie einen Router. '.repeat(
        8,
      );
    expect(detectLanguage(Array.from({ length: 5 }, () => ({ text: english + german })))).toBe('de');
  });

  it('reads the document at several places, so a foreign first chunk does not decide', () => {
    const english = 'The package manager installs files into the home directory of each user on the system.';
    expect(detectLanguage(chunks('Der Paketmanager installiert Dateien.', english, english, english, english))).toBe(
      'en',
    );
  });
});

describe('detectLanguage on CJK pages full of commands', () => {
  it('takes a page for Japanese or Chinese when its characters outweigh the Latin letters of its commands', () => {
    const command = 'apt-get install --no-install-recommends openssh-server ';
    expect(
      detectLanguage(chunks(`${command}\nパッケージをインストールするには次のコマンドを使います。\n${command}`)),
    ).toBe('ja');
    expect(detectLanguage(chunks(`${command}\n要安装软件包，请以管理员身份运行下面的命令。\n${command}`))).toBe('zh');
    expect(detectLanguage(chunks('한국어 문서는 한글로 씁니다. 설정 파일을 편집하세요.'))).toBe('ko');
    // A Japanese word in an English page leaves it English.
    expect(
      detectLanguage(chunks(`The word ホーム means home. ${'The administrator edits the file. '.repeat(5)}`)),
    ).toBe('en');
  });
});
