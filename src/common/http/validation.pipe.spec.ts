import { BadRequestException } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { CachingValidationPipe } from './validation.pipe';

class Query {
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(100)
  count: number = 5;
}

class Body {
  @IsOptional() @IsString() callback_url?: string;
}

const options = { whitelist: true, forbidNonWhitelisted: true, transform: true };
const query = { type: 'query', metatype: Query } as const;
const body = { type: 'body', metatype: Body } as const;

describe(CachingValidationPipe.name, () => {
  it('gives an equal, separate instance for an input it accepted before', async () => {
    const pipe = new CachingValidationPipe(options);
    const first = (await pipe.transform({ count: '7' }, query)) as Query;
    const second = (await pipe.transform({ count: '7' }, query)) as Query;
    expect(first).toBeInstanceOf(Query);
    expect(second).toBeInstanceOf(Query);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    second.count = 99;
    expect(((await pipe.transform({ count: '7' }, query)) as Query).count).toBe(7);
  });

  it('gives the defaults for an absent query or body, every time', async () => {
    const pipe = new CachingValidationPipe(options);
    for (let i = 0; i < 2; i++) {
      expect(await pipe.transform({}, query)).toEqual(Object.assign(new Query(), { count: 5 }));
      const empty = await pipe.transform(undefined, body);
      expect(empty).toBeInstanceOf(Body);
      expect({ ...(empty as Body) }).toEqual({ ...new Body() });
    }
  });

  it('refuses a refused input every time, and does not mix inputs up', async () => {
    const pipe = new CachingValidationPipe(options);
    for (let i = 0; i < 2; i++) {
      await expect(pipe.transform({ count: '0' }, query)).rejects.toThrow(BadRequestException);
      await expect(pipe.transform({ count: '1', extra: 'x' }, query)).rejects.toThrow(BadRequestException);
      expect(await pipe.transform({ count: '1' }, query)).toMatchObject({ count: 1 });
      expect(await pipe.transform({ count: '10' }, query)).toMatchObject({ count: 10 });
      expect(await pipe.transform({ callback_url: 'https://a.example/' }, body)).toMatchObject({
        callback_url: 'https://a.example/',
      });
    }
  });

  it('validates other inputs as ValidationPipe does (arrays, numbers, nested values)', async () => {
    const pipe = new CachingValidationPipe(options);
    for (let i = 0; i < 2; i++) {
      await expect(pipe.transform({ count: ['1', '2'] }, query)).rejects.toThrow(BadRequestException);
      await expect(pipe.transform({ callback_url: 5 }, body)).rejects.toThrow(BadRequestException);
      expect(await pipe.transform({ count: 3 }, query)).toMatchObject({ count: 3 });
    }
  });
});
