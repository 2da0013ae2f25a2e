import { describe, expect, it } from 'vitest';
import { queryTerms } from './query-terms.js';
import { indexedText, termsOfWord } from './search-text.js';

describe('text written without spaces', () => {
  it('leaves text without such scripts as it is', () => {
    const text = 'The quick brown fox — naïve café, 사용자의 홈 디렉터리.';
    expect(indexedText(text)).toBe(text);
  });

  it('indexes runs of ideographs as overlapping pairs and their last character', () => {
    expect(indexedText('将配置文件复制到家目录。')).toBe(' 将配 配置 置文 文件 件复 复制 制到 到家 家目 目录 录 。');
    expect(indexedText('USBメモリー')).toBe('USB メモ モリ リー ー ');
    expect(indexedText('家')).toBe(' 家 ');
  });

  it('searches a run as the phrase of its pairs, and one ideograph as a prefix', () => {
    expect(termsOfWord('家目录')).toEqual(['家目 目录']);
    expect(termsOfWord('目录')).toEqual(['目录']);
    expect(termsOfWord('家')).toEqual(['家*']);
    expect(termsOfWord('usbメモリー')).toEqual(['usb', 'メモ モリ リー']);
    expect(queryTerms('ホームディレクトリ とは?')).toEqual(['ホー ーム ムデ ディ ィレ レク クト トリ', 'とは']);
    expect(queryTerms('ひらがな')).toEqual(['ひら らが がな']);
  });

  it('searches a sentence for its content words, each where its characters stand together', () => {
    expect(termsOfWord('新建用户的家目录里的默认文件')).toEqual(['新建', '用户', '家*', '目录', '默认', '文件']);
    expect(termsOfWord('不要なパッケージを削除するには')).toEqual(['不要', 'パッ ッケ ケー ージ', '削除']);
    expect(termsOfWord('仮想マシン')).toEqual(['仮想 想マ マシ シン']);
    expect(termsOfWord('强制用户下次登录时必须修改密码')).toHaveLength(8);
  });

  it('finds a word wherever a dictionary would have cut the sentence', () => {
    // ICU's dictionary cuts this sentence 复制|到家|目录: a word search for 家目录 would miss it.
    const indexed = indexedText('将配置文件复制到家目录').split(/\s+/);
    const phrase = (termsOfWord('家目录')[0] as string).split(' ');
    const at = indexed.indexOf(phrase[0] as string);
    expect(indexed.slice(at, at + phrase.length)).toEqual(phrase);
  });

  it('splits Thai into words at index and query time alike', () => {
    const indexed = indexedText('ไฟล์การตั้งค่าในโฮมไดเรกทอรี');
    expect(indexed.split(/\s+/).filter(Boolean)).toContain('ไดเรกทอรี');
    expect(queryTerms('ไดเรกทอรี')).toEqual(['ไดเรกทอรี']);
  });
});
